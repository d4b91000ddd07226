#!/usr/bin/env bash
# The web UI in a real browser: `faasd up` as the e2e tests start it
# (test/e2e/lib.sh), a function image built here from busybox-static and
# fwatchdog, and Debian's Chromium driven headless by playwright-core
# (installed with `npm ci` from the committed lock file into the build
# directory). Screenshots of the main views land in OUT/screenshots.
#
# Usage: ui_test.sh FAASD FWATCHDOG OUT   (exits 77 when something is missing)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox node npm /usr/bin/chromium; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# --- playwright-core, exactly as locked, outside the source tree
mkdir -p "$out/node" "$out/screenshots"
rm -f "$out"/screenshots/*.png
if ! cmp -s "$here/package-lock.json" "$out/node/package-lock.json" ||
  [[ ! -f $out/node/node_modules/playwright-core/package.json ]]; then
  cp "$here/package.json" "$here/package-lock.json" "$out/node/"
  (cd "$out/node" && npm ci --no-audit --no-fund --loglevel=error) || {
    echo "FAILED: npm ci (playwright-core)"
    echo "0 passed, 1 failed"
    exit 1
  }
fi
cp "$here/ui_test.mjs" "$out/node/ui_test.mjs"

# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
source "$here/../e2e/lib.sh"

fn=webecho
ui_cleanup() {
  # The browser deletes its function; remove it here too when a step failed.
  if [[ -n $pid ]]; then
    curl -s -o /dev/null -u "admin:${pass:-}" -X DELETE \
      -d "{\"functionName\":\"$fn\"}" "$gw/system/functions"
  fi
  cleanup
}
trap ui_cleanup EXIT

# The scaler's built-in rule scales the function up under the test's load;
# a short quiet window brings it back down before the scale steps.
export FAASD_SCALER_SCALE_DOWN_WINDOW=5s
check "faasd up starts and answers /healthz" start_daemon || exit 1
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
build_image faasd.test/echo:1
check "the test image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar"
check "a second tag of it (for the update)" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images tag faasd.test/echo:1 faasd.test/echo:2

# --- the embedded assets, as any HTTP client sees them
check "/ui/ without credentials is 401" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$gw/ui/")" = 401
check "/ui/js/app.js is JavaScript with an ETag" bash -c \
  "curl -fsS -D - -o /dev/null -u admin:$pass $gw/ui/js/app.js |
     grep -qi '^Content-Type: text/javascript' &&
   curl -fsS -D - -o /dev/null -u admin:$pass $gw/ui/js/app.js | grep -qi '^ETag: \"'"
etag=$(curl -fsS -D - -o /dev/null -u "admin:$pass" "$gw/ui/" | tr -d '\r' |
  awk -F': ' 'tolower($1)=="etag"{print $2}')
check "/ui/ revalidates to 304 with its ETag" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" -H "If-None-Match: $etag" "$gw/ui/")" = 304

# --- the browser
GW=$gw FAASD_USER=admin FAASD_PASS=$pass SHOTS=$out/screenshots IMAGE=faasd.test/echo:1 IMAGE2=faasd.test/echo:2 \
  timeout 900 node "$out/node/ui_test.mjs" >"$tmp/browser.out" 2>&1
rc=$?
cat "$tmp/browser.out"
passes=$((passes + $(grep -c '^ok: ' "$tmp/browser.out")))
failures=$((failures + $(grep -c '^FAILED: ' "$tmp/browser.out")))
if [[ $rc -ne 0 ]] && ! grep -q '^FAILED: ' "$tmp/browser.out"; then
  echo "FAILED: the browser test exited $rc"
  failures=$((failures + 1))
fi
if [[ $failures -ne 0 ]]; then
  echo "--- faasd log (last 60 lines)"
  tail -n 60 "$tmp/faasd.log"
fi
check "the browser left no function behind" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" "$gw/system/function/$fn")" = 404
echo "screenshots: $out/screenshots"

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
