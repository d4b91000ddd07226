#!/usr/bin/env bash
# End to end: the function builder API, as faas-cli's --remote-builder
# speaks it, on a fresh `faasd up` with a loopback registry —
#   a go build folder (template files, handler in function/) tarred with
#   com.openfaas.docker.config, signed with the payload secret, POSTed to
#   /build -> 200 {"status":"success"}, the image in the registry;
#   faasd deploy --image ... -> "Hello, Go. You said: hello";
# then what is refused: no or a wrong signature (401), traversal, escaping
# symlinks and hard links, entries outside context/, fifos (400), an upload
# over FAASD_BUILDER_MAX_BYTES (413), a second build while one runs with
# FAASD_BUILDER_CONCURRENCY=1 (429), a build that fails (500 with its
# log) — each leaving builds/ empty and no new image in containerd.
#
# Usage: builder_test.sh FAASD FWATCHDOG SOURCE_ROOT HELPER   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
source_root=$(realpath "$3")
helper=$(realpath "$4")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 go docker-registry; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

export FAASD_PULL_POLICY=IfNotPresent
export FAASD_WATCHDOG_PATH=$fwatchdog
export FAASD_BUILDER_MAX_BYTES=1048576
export FAASD_BUILDER_CONCURRENCY=1
export HOME=$tmp/home
unset OPENFAAS_CONFIG DOCKER_CONFIG
mkdir -p "$HOME" "$tmp/work"

# The trusted templates: the project's, and "gate", the go template whose
# build waits (at most 120 s) until the test lets it go, so a build is
# running for as long as the test needs.
export FAASD_TEMPLATES_DIR=$tmp/templates
cp -r "$source_root/templates" "$FAASD_TEMPLATES_DIR"
cp -r "$source_root/templates/go" "$FAASD_TEMPLATES_DIR/gate"
python3 - "$FAASD_TEMPLATES_DIR/gate/template.yml" "$tmp/gate" <<'PY'
import re
import sys
path, gate = sys.argv[1], sys.argv[2]
text = open(path).read().replace("\nlanguage: go\n", "\nlanguage: gate\n")
# A first build step, indented as the recipe's own steps are.
wait = ("touch %s.started; i=0; while [ ! -e %s.release ] && [ $i -lt 1200 ]; "
        "do sleep 0.1; i=$((i+1)); done" % (gate, gate))
text, n = re.subn(r"(\n *run:\n)( *)- ", lambda m: m.group(1) + m.group(2) + "- " + wait +
                  "\n" + m.group(2) + "- ", text, count=1)
assert n == 1 and "language: gate" in text, text
open(path, "w").write(text)
PY

# --- a registry on loopback
check "docker-registry answers on loopback" start_registry 0

check "faasd up starts" start_daemon
secret=$FAASD_STATE_DIR/secrets/payload-secret
builds=$FAASD_STATE_DIR/builds
check "the payload secret was made: 64 hex digits, mode 0600" bash -c \
  "grep -qxE '[0-9a-f]{64}' '$secret' && test \"\$(stat -c %a '$secret')\" = 600"
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
export OPENFAAS_URL=$gw
check "login" bash -c "echo '$pass' | '$faasd' login --password-stdin >/dev/null"

images() { ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images ls -q | sort; }
has_image() { images | grep -qxF "$1"; }
# builds_hold N: builds/ holds N folders (uploads being built).
builds_hold() {
  local n
  n=$(find "$builds" -mindepth 1 -maxdepth 1 | wc -l)
  [[ $n -eq $1 ]] || { echo "  builds/ holds $n:"; ls -la "$builds"; false; }
}

# post TAR EXPECTED_CODE EXPECTED_STATUS [FLAGS...]: POSTs TAR to /build and
# checks the HTTP status and the answer's "status"; the body is in $tmp/answer.
post() {
  local tar=$1 code=$2 status=$3 got
  shift 3
  got=$(python3 "$helper" post "$gw/build" "$tar" "$secret" "$tmp/answer" "$@")
  [[ $got == "$code $status" ]] || { echo "  got $got:"; cat "$tmp/answer"; echo; false; }
}
# refused NAME TAR CODE [FLAGS...]: refused with CODE and status "failed", a
# reason in the log, builds/ empty (or holding $running folders) and the
# image store unchanged.
running=0
refused() {
  local name=$1 tar=$2 code=$3 before
  shift 3
  before=$(images)
  check "$name: $code" post "$tar" "$code" failed "$@"
  check "$name: the log says why" python3 -c \
    'import json,sys; a=json.load(open(sys.argv[1])); assert a["log"] and a["log"][-1], a' \
    "$tmp/answer"
  check "$name: nothing left in builds/" builds_hold "$running"
  check "$name: no new image" test "$(images)" = "$before"
}

wait_answer() {
  local got
  for _ in $(seq 1 600); do
    got=$(curl -s -X GET -d "${3:-hello}" "$1" 2>/dev/null)
    [[ $got == "$2" ]] && return 0
    sleep 0.1
  done
  echo "  last answer: $got"
  return 1
}

# ===== a good build, as faas-cli up --remote-builder sends it
image=$reg/hello-builder:latest
python3 "$helper" stage "$source_root/templates/go" "$source_root/templates/go/function" "$tmp/work/hello"
python3 "$helper" tar "$tmp/work/hello" "$image" "$tmp/hello.tar"
check "POST /build: 200, status success" post "$tmp/hello.tar" 200 success
check "the answer names the image and carries the build's log" python3 -c \
  'import json,sys; a=json.load(open(sys.argv[1])); assert a["image"]==sys.argv[2] and len(a["log"])>0, a' \
  "$tmp/answer" "$image"
check "builds/ is empty after the build" builds_hold 0
check "containerd holds the image" has_image "$image"
check "the registry holds it (pushed)" \
  curl -fsS -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$reg/v2/hello-builder/manifests/latest"
check "faasd deploy --image $image --name hello-builder" bash -c \
  "'$faasd' deploy --image '$image' --name hello-builder >'$tmp/deploy.out' 2>&1 || { cat '$tmp/deploy.out'; false; }"
check "it answers" wait_answer "$gw/function/hello-builder" "Hello, Go. You said: hello"
check "curl -X GET -d hello .../function/hello-builder" \
  test "$(curl -s -X GET -d hello "$gw/function/hello-builder")" = "Hello, Go. You said: hello"

# The same upload again, answered as NDJSON (one object a line), skipPush.
python3 "$helper" tar "$tmp/work/hello" "$image" "$tmp/hello-skip.tar" --skip-push
check "Accept: application/x-ndjson: 200, last line success" \
  post "$tmp/hello-skip.tar" 200 success --ndjson
check "every line but the last is in_progress" python3 -c \
  'import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; assert len(l)>1 and all(x["status"]=="in_progress" for x in l[:-1]), l' \
  "$tmp/answer"

# ===== refused uploads
refused "no signature" "$tmp/hello.tar" 401 --unsigned
refused "a signature with another key" "$tmp/hello.tar" 401 --wrong-key
bad_image=$reg/bad-upload:latest
for kind in traversal symlink hardlink outside fifo; do
  python3 "$helper" evil "$kind" "$bad_image" "$tmp/$kind.tar"
  case $kind in
  traversal) what="an entry named context/../../evil" ;;
  symlink) what="a symlink leaving context/" ;;
  hardlink) what="a hard link to /etc/passwd" ;;
  outside) what="an entry outside context/" ;;
  fifo) what="a fifo" ;;
  esac
  refused "$what" "$tmp/$kind.tar" 400
done
check "nothing was written outside the upload's folder" \
  test ! -e "$FAASD_STATE_DIR/evil" -a ! -e "$FAASD_STATE_DIR/builds/evil" -a ! -e "$tmp/evil"
printf 'not a tar, only text\n' >"$tmp/text.tar"
refused "not a tar" "$tmp/text.tar" 400
python3 "$helper" big 2000000 "$bad_image" "$tmp/big.tar"
refused "an upload over FAASD_BUILDER_MAX_BYTES" "$tmp/big.tar" 413

# A build that fails: a language no trusted template has, and no Dockerfile.
cp -r "$tmp/work/hello" "$tmp/work/broken"
sed -i 's/^language: go$/language: nosuch/' "$tmp/work/broken/template.yml"
rm -f "$tmp/work/broken/Dockerfile"
python3 "$helper" tar "$tmp/work/broken" "$bad_image" "$tmp/broken.tar"
refused "a build that fails" "$tmp/broken.tar" 500

# ===== two builds at once with FAASD_BUILDER_CONCURRENCY=1
python3 "$helper" stage "$FAASD_TEMPLATES_DIR/gate" "$source_root/templates/go/function" "$tmp/work/gate"
python3 "$helper" tar "$tmp/work/gate" "$reg/gate:latest" "$tmp/gate.tar" --skip-push
python3 "$helper" post "$gw/build" "$tmp/gate.tar" "$secret" "$tmp/gate-answer" >"$tmp/gate-code" &
gate_pid=$!
# Running: its folder is in builds/ and its build command has started.
for _ in $(seq 1 600); do
  [[ -e $tmp/gate.started && -n $(ls -A "$builds") ]] && break
  sleep 0.1
done
check "the first build is running" test -e "$tmp/gate.started"
running=1
refused "a second build while one runs" "$tmp/hello.tar" 429
running=0
touch "$tmp/gate.release"
wait "$gate_pid"
check "the first build still succeeds" grep -qx '200 success' "$tmp/gate-code"
check "builds/ is empty after it" builds_hold 0

"$faasd" remove hello-builder >/dev/null 2>&1

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
