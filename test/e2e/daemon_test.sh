#!/usr/bin/env bash
# End to end: `faasd up` on this machine with nothing else running. It
# starts its own containerd, serves the OpenFaaS API, deploys a function
# whose image is built here (fwatchdog + busybox, imported with ctr), and
# answers invocations through the gateway; it survives a restart. After a
# kill -9 it supervises the containerd it left running (restarts it when it
# dies); a containerd someone else runs is left to them, and /healthz and
# /metrics say when it stops answering.
#
# Usage: daemon_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox setpriv; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

# --- one clear line when containerd is missing and cannot be started
out=$(FAASD_CONTAINERD_SOCKET=$tmp/none.sock FAASD_CONTAINERD_BIN=/nonexistent/containerd \
  "$faasd" up 2>&1)
rc=$?
check "no containerd: non-zero exit" test $rc -ne 0
check "no containerd: one line naming the socket" \
  test "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a -n "$(printf '%s' "$out" | grep "$tmp/none.sock")"

# --- starts its own containerd and serves
check "faasd up starts and answers /healthz" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password" 2>/dev/null)
check "credentials are 0600" test "$(stat -c %a "$FAASD_STATE_DIR/secrets/basic-auth-password")" = 600
check "the password is not in the log" bash -c "! grep -q '$pass' '$tmp/faasd.log'"
check "unauthenticated /system is 401" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$gw/system/functions")" = 401
check "/system/info names the provider" \
  bash -c "curl -fsS -u admin:$pass $gw/system/info | grep -q containerd"

# --- an image built here: fwatchdog running cat, on busybox
build_image faasd.test/echo:1
check "the test image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar"

# --- deploy, invoke, scale
code=$(curl -s -o "$tmp/deploy.out" -w '%{http_code}' -u "admin:$pass" -X POST \
  -d '{"service":"echo","image":"faasd.test/echo:1","envProcess":"cat"}' "$gw/system/functions")
check "deploy answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]] || { cat $tmp/deploy.out; false; }"
check "invoke answers with the body" \
  test "$(curl -fsS -d 'hello faasd' "$gw/function/echo")" = "hello faasd"
check "status shows one available replica" bash -c \
  "curl -fsS -u admin:$pass $gw/system/function/echo | grep -q '\"availableReplicas\":1'"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" -X POST \
  -d '{"serviceName":"echo","replicas":2}' "$gw/system/scale-function/echo")
check "scale to 2 answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]]"
check "status shows two available replicas" bash -c \
  "curl -fsS -u admin:$pass $gw/system/function/echo | grep -q '\"availableReplicas\":2'"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" -X POST \
  -d '{"service":"Bad_Name","image":"faasd.test/echo:1"}' "$gw/system/functions")
check "an invalid name is 400" test "$code" = 400

# --- every method, a path suffix and a query reach the function
code=$(curl -s -o "$tmp/deploy.out" -w '%{http_code}' -u "admin:$pass" -X POST \
  -d '{"service":"env","image":"faasd.test/echo:1","envProcess":"env"}' "$gw/system/functions")
check "deploy a second function" bash -c "[[ $code == 200 || $code == 202 ]] || { cat $tmp/deploy.out; false; }"
for method in GET POST PUT PATCH DELETE; do
  curl -fsS -D "$tmp/headers" -o "$tmp/body" -X "$method" -d 'x' \
    -H 'X-Call-Id: e2e-call-1' "$gw/function/env/sub/path?q=1&r=2"
  check "$method reaches the function with its path and query" bash -c \
    "grep -qx 'Http_Method=$method' '$tmp/body' && grep -qx 'Http_Path=/sub/path' '$tmp/body' &&
     grep -qx 'Http_Query=q=1&r=2' '$tmp/body'"
  check "$method answer carries X-Call-Id, X-Start-Time, X-Duration-Seconds" bash -c \
    "grep -qi '^X-Call-Id: e2e-call-1' '$tmp/headers' && grep -qi '^X-Start-Time: [0-9]' '$tmp/headers' &&
     grep -qi '^X-Duration-Seconds: ' '$tmp/headers'"
done
curl -fsS -o /dev/null -u "admin:$pass" -X DELETE -d '{"functionName":"env"}' "$gw/system/functions"

# --- restart: functions keep running and are found again
stop_daemon
check "faasd up starts again" start_daemon
check "invoke after a restart" \
  test "$(curl -fsS -d 'again' "$gw/function/echo")" = "again"

# --- kill -9: nothing is lost, nothing duplicated
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
check "faasd up starts after kill -9" start_daemon
check "invoke after kill -9" test "$(curl -fsS -d 'after kill' "$gw/function/echo")" = "after kill"
check "still two replicas, not duplicated" bash -c \
  "curl -fsS -u admin:$pass $gw/system/function/echo | grep -q '\"replicas\":2'"
check "exactly two replica tasks in containerd" test "$(ctr -a "$FAASD_CONTAINERD_SOCKET" \
  -n openfaas-fn tasks list -q | wc -l)" -eq 2

# --- the containerd the killed daemon started is supervised again
cpid=$(cut -d' ' -f1 "$FAASD_STATE_DIR/containerd/pid")
check "the restarted daemon supervises the containerd it left (pid $cpid)" \
  grep -q "supervising the containerd an earlier run started (pid $cpid)" "$tmp/faasd.log"
kill -KILL "$cpid"
replaced() {
  [[ $(cut -d' ' -f1 "$FAASD_STATE_DIR/containerd/pid" 2>/dev/null) != "$cpid" ]] &&
    curl -fsS -o /dev/null -u "admin:$pass" "$gw/system/functions"
}
check "containerd killed: the daemon starts another and the API answers" wait_for 60 replaced
check "invoke after containerd's restart" \
  test "$(curl -fsS -d 'after containerd' "$gw/function/echo")" = "after containerd"

code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" -X DELETE \
  -d '{"functionName":"echo"}' "$gw/system/functions")
check "delete answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]]"
check "the function is gone" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" "$gw/system/function/echo")" = 404

# --- a containerd someone else runs is left to them; its outage is reported
stop_daemon # stops the containerd it supervises
check "a graceful stop stops the supervised containerd" \
  wait_for 20 bash -c "! ctr -a '$FAASD_CONTAINERD_SOCKET' version >/dev/null 2>&1"
own_containerd() {
  setpriv --pdeathsig KILL -- containerd --config "$FAASD_STATE_DIR/containerd/config.toml" \
    >>"$tmp/own-containerd.log" 2>&1 &
  own=$!
  wait_for 30 ctr -a "$FAASD_CONTAINERD_SOCKET" version >/dev/null
}
check "a containerd started by hand answers" own_containerd
check "faasd up starts beside it" start_daemon
check "it is left to its owner" grep -q "it is left to its owner" "$tmp/faasd.log"
kill -KILL "$own"
wait "$own" 2>/dev/null
healthz_says() { curl -fsS "$gw/healthz" | grep -qF "$1"; }
check "/healthz says containerd is not answering" \
  wait_for 20 healthz_says "containerd: not answering on $FAASD_CONTAINERD_SOCKET"
check "faasd_containerd_up says so" bash -c \
  "curl -fsS $gw/metrics | grep -q '^faasd_containerd_up{managed_by=\"its owner\"} 0'"
check "the daemon starts no containerd of its own" test ! -e "$FAASD_STATE_DIR/containerd/pid"
check "the owner starts it again" own_containerd
check "/healthz is OK again" wait_for 20 bash -c "[[ \$(curl -fsS $gw/healthz) == OK ]]"
stop_daemon
kill "$own" 2>/dev/null
wait "$own" 2>/dev/null

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
