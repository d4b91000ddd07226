#!/usr/bin/env bash
# End to end: long-running functions. The daemon's upstream timeout is 5 s
# (FAASD_UPSTREAM_TIMEOUT, and FAASD_QUEUE_INVOKE_TIMEOUT for the queue's
# jobs): a function with exec_timeout=20s in its environment answers a
# 10 s call through /function/ and through the queue; the same function
# without it gets 504 at about 5 s until an update gives it the
# annotation com.openfaas.upstream.timeout; a streaming answer that runs
# past 5 s in pieces keeps flowing; bad values are a 400 at deploy.
#
# Usage: timeouts_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# A network of its own, so it can run beside the other e2e tests.
e2e_bridge=faasdlong0
e2e_subnet=10.192.0.0/24
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
export FAASD_UPSTREAM_TIMEOUT=5s
export FAASD_QUEUE_INVOKE_TIMEOUT=5s

check "faasd up starts" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
auth=(-u "admin:$pass")

# slow.sh sleeps the seconds it is sent; tick.sh writes a line every 2 s
# for 12 s.
mkdir -p "$tmp/img/rootfs/bin"
# shellcheck disable=SC2016 # the scripts' own variables
printf '#!/bin/sh\nread -r n\nsleep "$n"\necho "slept $n"\n' >"$tmp/img/rootfs/bin/slow.sh"
# shellcheck disable=SC2016
printf '#!/bin/sh\nfor i in 1 2 3 4 5 6; do echo "tick $i"; sleep 2; done\n' \
  >"$tmp/img/rootfs/bin/tick.sh"
build_image faasd.test/long:1 "$tmp/img" sh sleep cat
check "the test image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar"

# deploy METHOD JSON: the HTTP status; the body in $tmp/deploy.out.
deploy() {
  curl -s -o "$tmp/deploy.out" -w '%{http_code}' "${auth[@]}" -X "$1" -d "$2" \
    "$gw/system/functions"
}
ok_deploy() { local code; code=$(deploy "$@"); [[ $code == 200 || $code == 202 ]] || { cat "$tmp/deploy.out"; false; }; }
refused() { # JSON NAMED: 400 whose message names NAMED
  local code; code=$(deploy POST "$1")
  if [[ $code == 400 ]] && grep -qF "$2" "$tmp/deploy.out"; then return 0; fi
  echo "$code: $(cat "$tmp/deploy.out")"
  return 1
}
image='"image":"faasd.test/long:1"'
check "deploy long (exec_timeout=20s)" ok_deploy POST \
  "{\"service\":\"long\",$image,\"envProcess\":\"sh /bin/slow.sh\",\"envVars\":{\"exec_timeout\":\"20s\"}}"
check "deploy plain (no timeout of its own)" ok_deploy POST \
  "{\"service\":\"plain\",$image,\"envProcess\":\"sh /bin/slow.sh\"}"
check "deploy ticker (streaming, no timeout of its own)" ok_deploy POST \
  "{\"service\":\"ticker\",$image,\"envProcess\":\"sh /bin/tick.sh\",\"envVars\":{\"mode\":\"streaming\"}}"
check "a bad exec_timeout is a 400 naming it" refused \
  "{\"service\":\"bad1\",$image,\"envVars\":{\"exec_timeout\":\"soon\"}}" exec_timeout
check "an annotation past 24h is a 400 naming it" refused \
  "{\"service\":\"bad2\",$image,\"annotations\":{\"com.openfaas.upstream.timeout\":\"25h\"}}" \
  com.openfaas.upstream.timeout

# call NAME BODY OUT: a sync call in the background; OUT gets the body, and
# OUT.w "status seconds-to-first-byte seconds-total".
call() {
  curl -s -o "$3" -w '%{http_code} %{time_starttransfer} %{time_total}' -d "$2" \
    "$gw/function/$1" >"$3.w"
}
call long 10 "$tmp/long" &
long_pid=$!
call plain 10 "$tmp/plain" &
plain_pid=$!
call ticker x "$tmp/ticker" &
ticker_pid=$!
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Call-Id: long-async' -d 10 \
  "$gw/async-function/long")
check "an async call of long is accepted" test "$code" = 202
wait "$long_pid" "$plain_pid" "$ticker_pid"

# within FILE LOW HIGH: the total time of a call in [LOW, HIGH).
within() { python3 -c 'import sys; t=float(open(sys.argv[1]).read().split()[2]); sys.exit(not float(sys.argv[2]) <= t < float(sys.argv[3]))' "$@"; }
echo "long: $(cat "$tmp/long.w"); plain: $(cat "$tmp/plain.w"); ticker: $(cat "$tmp/ticker.w")"
check "a 10 s call of long answers 200 through /function/" \
  bash -c "[[ \$(cut -d' ' -f1 $tmp/long.w) == 200 ]] && grep -qx 'slept 10' $tmp/long"
check "... after about 10 s" within "$tmp/long.w" 9.5 20
check "the same call of plain is 504" test "$(cut -d' ' -f1 "$tmp/plain.w")" = 504
check "... at about 5 s" within "$tmp/plain.w" 4.5 9.5
check "the streaming answer of ticker flows past 5 s: 200, all six pieces" \
  bash -c "[[ \$(cut -d' ' -f1 $tmp/ticker.w) == 200 ]] && grep -qx 'tick 6' $tmp/ticker"
check "... its first piece within the first 5 s, the whole over 10 s" python3 -c '
import sys; _, first, total = open(sys.argv[1]).read().split()
sys.exit(not (float(first) < 5 and float(total) >= 10))' "$tmp/ticker.w"

# The async call: completed (status 200), not cut at the queue's 5 s.
completed() {
  curl -fsS "${auth[@]}" "$gw/system/async-requests?status=completed" | python3 -c '
import json, sys
sys.exit(not any(r.get("callId") == "long-async" for r in json.load(sys.stdin)))'
}
check "the async call of long completes" wait_for 60 completed
curl -fsS "${auth[@]}" "$gw/system/async-requests?status=completed" >"$tmp/async.json"
check "... in one attempt, without an error" python3 -c '
import json, sys
r = [r for r in json.load(open(sys.argv[1])) if r.get("callId") == "long-async"][0]
print(r)
sys.exit(not (r["status"] == "completed" and r["attempts"] == 1 and not r["lastError"]))' \
  "$tmp/async.json"

# An update gives plain the annotation: the next call waits for it.
check "update plain with com.openfaas.upstream.timeout=20s" ok_deploy PUT \
  "{\"service\":\"plain\",$image,\"envProcess\":\"sh /bin/slow.sh\",\"annotations\":{\"com.openfaas.upstream.timeout\":\"20s\"}}"
call plain 7 "$tmp/plain2"
check "now a 7 s call of plain answers 200" \
  bash -c "[[ \$(cut -d' ' -f1 $tmp/plain2.w) == 200 ]] && grep -qx 'slept 7' $tmp/plain2"

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
