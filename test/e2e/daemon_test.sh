#!/usr/bin/env bash
# End to end: `faasd up` on this machine with nothing else running. It
# starts its own containerd, serves the OpenFaaS API, deploys a function
# whose image is built here (fwatchdog + busybox, imported with ctr), and
# answers invocations through the gateway; it survives a restart.
#
# Usage: daemon_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$1
fwatchdog=$2
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

tmp=$(mktemp -d /tmp/faasd-e2e-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export FAASD_STATE_DIR=$tmp/state
export FAASD_PROVIDER_STATE_DIR=$tmp/provider
export FAASD_CONTAINERD_SOCKET=$tmp/c.sock
export FAASD_GATEWAY_ADDRESS=127.0.0.1
export FAASD_GATEWAY_PORT=$port
export FAASD_CNI_BRIDGE=faasde2e0
export FAASD_CNI_SUBNET=10.197.0.0/24
export FAASD_CNI_CONF_DIR=$tmp/cni
export FAASD_CNI_IPAM_DIR=$tmp/ipam
export FAASD_NETNS_DIR=$tmp/netns
export FAASD_PULL_POLICY=Never
gw=http://127.0.0.1:$port
pid=
failures=0
passes=0

check() { # name, command...
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passes=$((passes + 1))
  else
    echo "FAILED: $name"
    failures=$((failures + 1))
  fi
}

stop_daemon() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  pid=
}

cleanup() {
  # Remove the function first so its netns, IP and iptables rules go too.
  if [[ -n $pid ]]; then
    curl -s -u "admin:$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password" 2>/dev/null)" \
      -X DELETE -d '{"functionName":"echo"}' "$gw/system/functions" >/dev/null
  fi
  stop_daemon
  pkill -KILL -f "$tmp" 2>/dev/null
  sleep 0.2
  grep " $tmp" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  ip link del faasde2e0 2>/dev/null
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -e 10.197.0 | sed 's/^-A/-D/' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

start_daemon() {
  "$faasd" up >>"$tmp/faasd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$gw/healthz" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "faasd up did not answer; its log:"
  cat "$tmp/faasd.log"
  return 1
}

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
img=$tmp/img
mkdir -p "$img/rootfs/bin" "$img/rootfs/tmp" "$img/rootfs/etc" "$img/rootfs/proc" \
  "$img/rootfs/sys" "$img/rootfs/dev"
cp "$(command -v busybox)" "$img/rootfs/bin/busybox"
ln -s busybox "$img/rootfs/bin/cat"
ln -s busybox "$img/rootfs/bin/sh"
cp "$fwatchdog" "$img/rootfs/fwatchdog"
chmod 1777 "$img/rootfs/tmp"
tar -C "$img/rootfs" --numeric-owner --owner=0 --group=0 -cf "$img/layer.tar" .
diffid=$(sha256sum "$img/layer.tar" | cut -d' ' -f1)
cat >"$img/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","fprocess=cat"],"Cmd":["/fwatchdog"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$diffid"]}}
JSON
cfg=$(sha256sum "$img/config.json" | cut -d' ' -f1)
mkdir -p "$img/archive"
cp "$img/layer.tar" "$img/archive/$diffid.tar"
cp "$img/config.json" "$img/archive/$cfg.json"
cat >"$img/archive/manifest.json" <<JSON
[{"Config":"$cfg.json","RepoTags":["faasd.test/echo:1"],"Layers":["$diffid.tar"]}]
JSON
tar -C "$img/archive" -cf "$img/image.tar" .
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
