#!/usr/bin/env bash
# End to end: asynchronous invocations on `faasd up` survive kill -9.
# Enqueue N requests to a function (fwatchdog + busybox cat, one at a time)
# whose callbacks go to a slow receiver on loopback, kill -9 the daemon
# while it drains, start it again: every accepted request calls back
# (counted by call id; duplicates are allowed, at least once). Bad input
# is refused over the real daemon too.
#
# Usage: async_test.sh FAASD FWATCHDOG HELPER.py   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
helper=$(realpath "$3")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cp "$helper" "$tmp/async_helper.py" # its command line names $tmp: cleanup kills it
# A network of its own, so it never meets another e2e test's replicas.
export FAASD_CNI_BRIDGE=faasdasync0
export FAASD_CNI_SUBNET=10.196.0.0/24
# The callback receiver listens on loopback, which callbacks may not reach
# unless allowed.
export FAASD_CALLBACK_ALLOW=127.0.0.1/32
async_cleanup() {
  ip link del faasdasync0 2>/dev/null
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -e 10.196.0 | sed 's/^-A/-D/' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  done
}
extra_cleanup=async_cleanup

n=${ASYNC_REQUESTS:-400}
cb_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
callback=http://127.0.0.1:$cb_port/cb
python3 "$tmp/async_helper.py" receiver "$cb_port" "$tmp/callbacks" &
touch "$tmp/callbacks"

check "faasd up starts" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
build_image faasd.test/echo:1
check "the test image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar"
code=$(curl -s -o "$tmp/deploy.out" -w '%{http_code}' -u "admin:$pass" -X POST \
  -d '{"service":"echo","image":"faasd.test/echo:1","envProcess":"cat","labels":{"faasd.queue.concurrency":"1"}}' \
  "$gw/system/functions")
check "deploy answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]] || { cat $tmp/deploy.out; false; }"

# --- bad input: refused, nothing stored
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "unknown function is 404" test "$(status -d x "$gw/async-function/nothere")" = 404
check "bad X-Callback-Url is 400" \
  test "$(status -H 'X-Callback-Url: not a url' -d x "$gw/async-function/echo")" = 400
check "a callback to the metadata address is 400" \
  test "$(status -H 'X-Callback-Url: http://169.254.169.254/latest/meta-data/' -d x "$gw/async-function/echo")" = 400
check "a callback to this machine's loopback outside the allow-list is 400" \
  test "$(status -H 'X-Callback-Url: http://127.0.0.2:9/cb' -d x "$gw/async-function/echo")" = 400
head -c $((9 * 1024 * 1024)) /dev/zero >"$tmp/big"
check "a body over FAASD_QUEUE_MAX_BODY_BYTES is 413" \
  test "$(status --data-binary "@$tmp/big" "$gw/async-function/echo")" = 413
check "nothing was stored" test "$(curl -fsS -u "admin:$pass" "$gw/system/async-requests")" = "[]"

# --- enqueue, kill -9 mid-drain, restart: nothing accepted is lost
python3 "$tmp/async_helper.py" send "$gw/async-function/echo" "$callback" "$n" >"$tmp/accepted"
accepted=$(wc -l <"$tmp/accepted")
check "all $n requests accepted with 202" test "$accepted" -eq "$n"
delivered() { cut -d' ' -f1 "$tmp/callbacks" | sort -u | wc -l; }
before=$(delivered)
check "the daemon is mid-drain ($before of $n called back)" test "$before" -lt "$n"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
check "faasd up starts after kill -9" start_daemon
for _ in $(seq 1 1200); do
  [[ $(delivered) -ge $n ]] && break
  sleep 0.1
done
missing=$(sort -u "$tmp/accepted" | comm -23 - <(cut -d' ' -f1 "$tmp/callbacks" | sort -u) | wc -l)
check "every accepted request called back after the restart (missing: $missing)" test "$missing" -eq 0
echo "callbacks: $(wc -l <"$tmp/callbacks") for $n requests ($before before the kill)"
check "callbacks carry the function's answer" grep -qx 'e2e-7 200 m7' "$tmp/callbacks"
check "the admin API lists them as completed" bash -c \
  "curl -fsS -u admin:$pass '$gw/system/async-requests?status=completed&limit=1' | grep -q '\"callbackStatus\":\"delivered\"'"
check "queue metrics are served" bash -c "curl -fsS $gw/metrics/async | grep -q '^faasd_queue_depth 0'"

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
