#!/usr/bin/env bash
# End to end: the user's walkthrough on a fresh `faasd up`, verbatim —
#   faasd new --lang go say --prefix 127.0.0.1:5000
#   faasd build -f say.yml; faasd push -f say.yml; faasd deploy -f say.yml
#   curl -X GET -d 'hello' .../function/say  ->  Hello, Go. You said: hello
# with Debian's docker-registry on loopback as the registry; then an edited
# handler rebuilt and redeployed while a bounded loop of calls sees no
# failure; the same for the golang-http, cpp and bash examples (deploy
# --build); the same digest from two builds; the pushed image deployed into
# a namespace whose containerd store never held it (pulled); bad stack files
# refused with file:line and nothing changed.
#
# Usage: walkthrough_test.sh FAASD FWATCHDOG SOURCE_ROOT   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
source_root=$(realpath "$3")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 go g++ docker-registry; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

# Images are found locally first; a namespace that lacks one pulls it.
export FAASD_PULL_POLICY=IfNotPresent
export FAASD_TEMPLATES_DIR=$source_root/templates
export FAASD_WATCHDOG_PATH=$fwatchdog
export HOME=$tmp/home
unset OPENFAAS_CONFIG DOCKER_CONFIG
mkdir -p "$HOME" "$tmp/work"

# --- a registry on loopback: 127.0.0.1:5000 as in the walkthrough, or
# another free port when something else holds 5000.
reg_port=5000
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",5000))' 2>/dev/null || reg_port=0
check "docker-registry answers on loopback" start_registry "$reg_port"

check "faasd up starts" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
export OPENFAAS_URL=$gw
check "login" bash -c "echo '$pass' | '$faasd' login --password-stdin >/dev/null"

# wait_answer URL EXPECTED [DATA]: until the function answers EXPECTED (60 s).
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

# load_start URL: calls the function in the background, at most 3000 times
# or 240 s, until load_stop; every status and body is recorded.
load_start() {
  rm -f "$tmp/load.stop" "$tmp/load.codes" "$tmp/load.bodies"
  (
    end=$((SECONDS + 240))
    for _ in $(seq 1 3000); do
      [[ -e $tmp/load.stop || $SECONDS -ge $end ]] && break
      out=$(curl -s -m 10 -w '\n%{http_code}' -d hello "$1")
      echo "${out##*$'\n'}" >>"$tmp/load.codes"
      echo "${out%$'\n'*}" >>"$tmp/load.bodies"
    done
  ) &
  load_pid=$!
}
load_stop() {
  touch "$tmp/load.stop"
  wait "$load_pid"
}
# no_failures: every call of the loop answered 200.
no_failures() {
  local total bad
  total=$(wc -l <"$tmp/load.codes")
  bad=$(grep -vc '^200$' "$tmp/load.codes")
  echo "  $total calls, $bad not 200"
  [[ $total -gt 0 && $bad -eq 0 ]] || { sort "$tmp/load.codes" | uniq -c; false; }
}
built_digest() { sed -n 's/^\[[a-z0-9-]*\] built [^ ]* \(sha256:[0-9a-f]*\).*/\1/p' "$1" | tail -1; }

# ===== the walkthrough, verbatim
cd "$tmp/work" || exit 1
check "faasd new --lang go say --prefix $reg" \
  bash -c "'$faasd' new --lang go say --prefix $reg >/dev/null"
check "say/handler.go, say/go.mod and say.yml exist" test -f say/handler.go -a -f say/go.mod -a -f say.yml
check "say.yml names the registry's image and the gateway" \
  bash -c "grep -q 'image: $reg/say:latest' say.yml && grep -q 'gateway: $gw' say.yml"
check "faasd build -f say.yml" bash -c "'$faasd' build -f say.yml >'$tmp/build1.out' 2>&1 || { cat '$tmp/build1.out'; false; }"
check "faasd push -f say.yml" bash -c "'$faasd' push -f say.yml >'$tmp/push.out' 2>&1 || { cat '$tmp/push.out'; false; }"
check "faasd deploy -f say.yml" bash -c "'$faasd' deploy -f say.yml >'$tmp/deploy.out' 2>&1 || { cat '$tmp/deploy.out'; false; }"
wait_answer "$gw/function/say" "Hello, Go. You said: hello" >/dev/null
check "curl -X GET -d 'hello' .../function/say" \
  test "$(curl -s -X GET -d 'hello' "$gw/function/say")" = "Hello, Go. You said: hello"

# ===== reproducible: the same inputs, the same digest
digest1=$(built_digest "$tmp/build1.out")
"$faasd" build -f say.yml --output "$tmp/oci-a" >"$tmp/build2.out" 2>&1
digest2=$(built_digest "$tmp/build2.out")
"$faasd" build -f say.yml --output "$tmp/oci-b" >"$tmp/build3.out" 2>&1
check "two builds give the same image digest ($digest1)" \
  test -n "$digest1" -a "$digest1" = "$digest2"
check "and byte-identical OCI archives" cmp -s "$tmp/oci-a/say.tar" "$tmp/oci-b/say.tar"
check "the registry holds that digest" bash -c \
  "curl -fsS -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://$reg/v2/say/manifests/$digest1"
check "a second push uploads no blob again" bash -c \
  "'$faasd' --log-level debug push -f say.yml 2>&1 | grep -c 'is already in' | grep -qx 3"
check "the image config: non-root user, fprocess, health check" bash -c \
  "tar -xOf '$tmp/oci-a/say.tar' --wildcards 'blobs/sha256/*' 2>/dev/null | grep -a -q '\"User\":\"1000:1000\"' &&
   tar -xOf '$tmp/oci-a/say.tar' --wildcards 'blobs/sha256/*' 2>/dev/null | grep -a -q 'fprocess=./handler' &&
   tar -xOf '$tmp/oci-a/say.tar' --wildcards 'blobs/sha256/*' 2>/dev/null | grep -a -q 'run-healthcheck'"

# ===== edit, rebuild, redeploy under load: no failed request
sed -i 's/Hello, Go. You said/Howdy, Go. You said/' say/handler.go
load_start "$gw/function/say"
sleep 1
check "rebuild after the edit" bash -c "'$faasd' build -f say.yml >'$tmp/build4.out' 2>&1 || { cat '$tmp/build4.out'; false; }"
check "the edited function has another digest" test "$(built_digest "$tmp/build4.out")" != "$digest1"
check "redeploy" bash -c "'$faasd' deploy -f say.yml >/dev/null 2>&1"
check "the new answer arrives" wait_answer "$gw/function/say" "Howdy, Go. You said: hello"
sleep 1
load_stop
check "no failed request during the update" no_failures
check "the loop saw the old answer and then the new" bash -c \
  "grep -qx 'Hello, Go. You said: hello' '$tmp/load.bodies' && tail -1 '$tmp/load.bodies' | grep -qx 'Howdy, Go. You said: hello'"

# ===== the pushed image on a store that never held it: pulled
check "namespace create clean" bash -c "'$faasd' namespace create clean >/dev/null"
check "the clean namespace has no images" \
  test -z "$(ctr -a "$FAASD_CONTAINERD_SOCKET" -n clean images ls -q)"
check "deploy the pushed image into it" bash -c \
  "'$faasd' deploy --image $reg/say:latest --name say -n clean >/dev/null 2>&1"
check "it answers with the pushed (first) build" \
  wait_answer "$gw/function/say.clean" "Hello, Go. You said: hello"
check "its image was pulled with the pushed digest" bash -c \
  "ctr -a '$FAASD_CONTAINERD_SOCKET' -n clean images ls | grep '$reg/say:latest' | grep -q '$digest1'"
"$faasd" remove say -n clean >/dev/null 2>&1

# ===== the examples: deploy --build, answer, edit, redeploy under load
# example LANG FUNCTION EXPECTED NEW_EXPECTED SED [EXTRA-CHECK]
example() {
  local lang=$1 fn=$2 expected=$3 new=$4 edit=$5 extra=${6:-}
  cp -r "$source_root/examples/$lang" "$tmp/ex-$lang"
  cd "$tmp/ex-$lang" || return 1
  check "$lang: faasd deploy --build -f stack.yml" bash -c \
    "REGISTRY=$reg '$faasd' deploy --build -f stack.yml >'$tmp/$lang.out' 2>&1 || { cat '$tmp/$lang.out'; false; }"
  check "$lang: answers" wait_answer "$gw/function/$fn" "$expected"
  if [[ -n $extra ]]; then "$extra"; fi
  sed -i "$edit" "$fn"/handler.*
  load_start "$gw/function/$fn"
  sleep 1
  check "$lang: rebuild and redeploy after an edit" bash -c \
    "REGISTRY=$reg '$faasd' deploy --build -f stack.yml >'$tmp/$lang.out' 2>&1 || { cat '$tmp/$lang.out'; false; }"
  check "$lang: the new answer arrives" wait_answer "$gw/function/$fn" "$new"
  sleep 1
  load_stop
  check "$lang: no failed request during the update" no_failures
  "$faasd" remove "$fn" >/dev/null 2>&1
  cd "$tmp/work" || return 1
}
http_status_and_headers() {
  check "golang-http: the handler's header reaches the caller" bash -c \
    "curl -fsS -D - -o /dev/null -d x '$gw/function/greet-http' | grep -qi '^X-Greeting: golang-http'"
  check "golang-http: the handler's status reaches the caller" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$gw/function/greet-http")" = 405
}
example golang-http greet-http "Hello, Go HTTP. You said: hello" "Hi, Go HTTP. You said: hello" \
  's/Hello, Go HTTP/Hi, Go HTTP/' http_status_and_headers
example cpp greet-cpp "Hello, C++. You said: hello (1 words)" "Hi, C++. You said: hello (1 words)" \
  's/Hello, C++/Hi, C++/'
example bash greet-sh "Hello, sh (GET). You said: hello" "Hi, sh (GET). You said: hello" \
  's/Hello, sh/Hi, sh/'
check "bash: deploy --build pushed its image to the registry" \
  curl -fsS -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$reg/v2/greet-sh/manifests/latest"

# ===== bad stack files: file:line errors, nothing changed
# refused FILE PATTERN: a non-zero exit, one stderr line matching, and no
# new function, image or build folder.
refused() {
  local file=$1 pattern=$2 before after
  before=$(ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images ls -q | sort | md5sum)
  "$faasd" deploy --build -f "$file" >"$tmp/bad.out" 2>"$tmp/bad.err"
  local rc=$?
  after=$(ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images ls -q | sort | md5sum)
  [[ $rc -ne 0 ]] || { echo "  exit 0"; return 1; }
  [[ $(wc -l <"$tmp/bad.err") -eq 1 ]] || { echo "  stderr:"; cat "$tmp/bad.err"; return 1; }
  grep -qE -- "$pattern" "$tmp/bad.err" || { echo "  stderr:"; cat "$tmp/bad.err"; return 1; }
  [[ $before == "$after" ]] || { echo "  the image store changed"; return 1; }
  [[ ! -e build/bad ]] || { echo "  a build folder was made"; return 1; }
  "$faasd" list | grep -q '^bad ' && { echo "  a function was deployed"; return 1; }
  return 0
}
mkdir -p "$tmp/bad" && cd "$tmp/bad" || exit 1
mkdir bad
printf 'version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  bad:\n    lang: cobol\n    handler: ./bad\n    image: bad:latest\n' >lang.yml
check "unknown lang: file:line, lists the templates" \
  refused lang.yml '^faasd: lang\.yml:6:[0-9]+: functions\.bad\.lang: .*available: .*bash, cpp, .*golang-http'
printf 'version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  bad:\n    lang: go\n    handler: ./missing\n    image: bad:latest\n' >handler.yml
check "missing handler folder: file:line" \
  refused handler.yml '^faasd: handler\.yml:7:[0-9]+: functions\.bad\.handler: folder .*missing does not exist'
printf 'version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  bad:\n    lang: go\n   handler: [./bad\n' >syntax.yml
check "YAML syntax error: file:line" refused syntax.yml '^faasd: syntax\.yml:[0-9]+:[0-9]+: '
printf 'version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  Bad_Name:\n    lang: go\n    handler: ./bad\n    image: bad:latest\n' >name.yml
check "invalid function name: file:line" refused name.yml '^faasd: name\.yml:5:[0-9]+: .*Bad_Name'
check "faasd build refuses them too, with the same place" bash -c \
  "! '$faasd' build -f lang.yml >'$tmp/b.out' 2>&1 && grep -q '^faasd: lang.yml:6:' '$tmp/b.out' &&
   ! '$faasd' build -f handler.yml >'$tmp/b.out' 2>&1 && grep -q '^faasd: handler.yml:7:' '$tmp/b.out'"
check "no build folder was left" test ! -e build/bad
cd "$tmp/work" || exit 1

# --- clean up the functions so their netns and addresses go
"$faasd" remove say >/dev/null 2>&1

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
