#!/usr/bin/env bash
# End to end: `faasd up` on this machine with nothing else running. It
# starts its own containerd, serves the OpenFaaS API, deploys a function
# whose image is built here (fwatchdog + busybox, imported with ctr), and
# answers invocations through the gateway; it survives a restart.
#
# Usage: daemon_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox; do
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

code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" -X DELETE \
  -d '{"functionName":"echo"}' "$gw/system/functions")
check "delete answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]]"
check "the function is gone" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" "$gw/system/function/echo")" = 404

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
