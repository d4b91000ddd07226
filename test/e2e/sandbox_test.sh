#!/usr/bin/env bash
# End to end: the function sandbox. A function whose body is a shell
# command line (classic watchdog, `sh /run.sh`) tries what a hostile
# function would: load a kernel module, mount, set the clock, trace or read
# the watchdog, reach the host's containerd socket, read another function's
# secret, reach the cloud metadata address. Each is refused; where the
# seccomp filter is what refuses, the same call through a function
# deployed with `com.openfaas.security.seccomp: unconfined` ends
# differently, so the check would fail without the filter. The test
# function runs as root in its container (the image has no User), so the
# refusals are not those of an unprivileged user; one more runs as 1000.
#
# The metadata address is made local for the test: 169.254.169.254 and
# 169.254.169.253 live in a network namespace the test makes, with a
# listener each, routed from the host over a veth pair; nothing is sent to
# either address before the host's route to it is checked to be that one,
# so nothing leaves the machine. Last, the user-namespaced mode: the
# function's root is an unprivileged uid of the host. It uses its own bridge and subnet, so it may
# run beside the other e2e tests.
#
# Usage: sandbox_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox setpriv cc ip python3; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

e2e_bridge=faasdsbx0
e2e_subnet=10.193.0.0/24
meta_ns=faasdsbxmeta
meta_if=faasdsbxm0
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

listeners=()
sandbox_cleanup() {
  local p
  for p in "${listeners[@]}"; do kill "$p" 2>/dev/null; done
  ip link del "$meta_if" 2>/dev/null
  ip netns del "$meta_ns" 2>/dev/null
}
extra_cleanup=sandbox_cleanup

pass=
auth() { curl -s -u "admin:$pass" "$@"; }

# deploy NAME JSON-EXTRA: answers the HTTP code; the body is in $tmp/deploy.out.
deploy() {
  auth -o "$tmp/deploy.out" -w '%{http_code}' -X POST \
    -d "{\"service\":\"$1\",\"image\":\"faasd.test/sandbox:1\",\"envProcess\":\"sh /run.sh\"$2}" \
    "$gw/system/functions"
}
deployed() { local code; code=$(deploy "$@"); [[ $code == 200 || $code == 202 ]] || { cat "$tmp/deploy.out"; false; }; }
# run FUNCTION COMMAND...: the command's output inside the function.
run() { local f=$1; shift; curl -s --max-time 20 --data-binary "$*" "$gw/function/$f"; }
# is FUNCTION WANT COMMAND...: the command's output is exactly WANT.
is() {
  local f=$1 want=$2 got
  shift 2
  got=$(run "$f" "$@")
  [[ $got == "$want" ]] || { echo "  $f: $*: got '$got', want '$want'"; false; }
}
# has FUNCTION TEXT COMMAND...: the command's output contains TEXT.
has() {
  local f=$1 want=$2 got
  shift 2
  got=$(run "$f" "$@")
  [[ $got == *"$want"* ]] || { echo "  $f: $*: got '$got', want it to contain '$want'"; false; }
}

# --- the image: busybox, fwatchdog, the probe, the script
for d in img img-user; do
  mkdir -p "$tmp/$d/rootfs"
  # shellcheck disable=SC2016 # the script's own expansions
  printf '#!/bin/sh\ncmd=$(cat)\neval "$cmd" 2>&1\n' >"$tmp/$d/rootfs/run.sh"
done
cc -static -O2 -o "$tmp/img/rootfs/probe" "$here/sandbox_probe.c" || exit 1
build_image faasd.test/sandbox:1 "$tmp/img" sh env insmod mount date ls cat grep id echo test \
  stat wc nc head
image_user=1000:1000 build_image faasd.test/sandbox-user:1 "$tmp/img-user" sh env date id cat echo

check "faasd up starts" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password" 2>/dev/null)
check "the test images import" bash -c \
  "ctr -a '$FAASD_CONTAINERD_SOCKET' -n openfaas-fn images import '$tmp/img/image.tar' >/dev/null &&
   ctr -a '$FAASD_CONTAINERD_SOCKET' -n openfaas-fn images import '$tmp/img-user/image.tar' >/dev/null"

# --- the annotation's value is checked at deploy
code=$(deploy badopt ',"annotations":{"com.openfaas.security.seccomp":"off"}')
check "an unknown seccomp value is 400" test "$code" = 400
check "the 400 names the annotation" grep -q 'com.openfaas.security.seccomp' "$tmp/deploy.out"

# --- secrets for two functions
for s in a b; do
  auth -o /dev/null -X POST -d "{\"name\":\"sbx-secret-$s\",\"value\":\"value-of-$s\"}" "$gw/system/secrets"
done
check "deploy the sandboxed function (secret a)" deployed sbx ',"secrets":["sbx-secret-a"]'
check "deploy the unconfined function (secret b)" deployed sbxopen \
  ',"secrets":["sbx-secret-b"],"annotations":{"com.openfaas.security.seccomp":"unconfined"}'
check "deploy a function whose image runs as 1000" bash -c \
  "code=\$(curl -s -u admin:$pass -o $tmp/deploy.out -w '%{http_code}' -X POST \
    -d '{\"service\":\"sbxuser\",\"image\":\"faasd.test/sandbox-user:1\",\"envProcess\":\"sh /run.sh\"}' \
    $gw/system/functions); [[ \$code == 202 || \$code == 200 ]]"

# --- what the sandbox is made of
check "the function runs as root in its container" is sbx "0" id -u
check "the other image's user is 1000" is sbxuser "1000" id -u
check "seccomp filter on (Seccomp: 2)" has sbx "Seccomp:	2" grep Seccomp: /proc/self/status
check "no seccomp filter when unconfined (Seccomp: 0)" has sbxopen "Seccomp:	0" grep Seccomp: /proc/self/status
check "no new privileges" has sbx "NoNewPrivs:	1" grep NoNewPrivs /proc/self/status
check "eight capabilities, none of SYS_ADMIN, NET_RAW, SYS_PTRACE, SYS_MODULE, SYS_TIME" \
  has sbx "CapBnd:	00000000000004fb" grep CapBnd /proc/self/status
check "pids limit applies" is sbx 1024 \
  'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
check "/proc/keys is masked (/dev/null over it)" is sbx "1:3" stat -c %t:%T /proc/keys
check "/proc/timer_list is masked" is sbx "1:3" stat -c %t:%T /proc/timer_list
check "/sys/firmware is masked (empty)" is sbx "0" 'ls /sys/firmware | wc -l'
check "/proc/sys is read-only" has sbx "Read-only file system" 'echo 1 >/proc/sys/kernel/domainname'

# --- kernel modules
check "insmod is refused" has sbx "Operation not permitted" \
  'head -c 4096 /dev/zero >/tmp/m.ko; insmod /tmp/m.ko'
check "init_module: EPERM" is sbx EPERM /probe init_module
check "finit_module: EPERM" is sbx EPERM /probe finit_module

# --- mounts
check "mount is refused" has sbx "permission denied" mount -t tmpfs none /tmp
check "mount(2): EPERM" is sbx EPERM /probe mount
check "a user namespace to mount in: EPERM (filter)" is sbx EPERM /probe userns_mount
check "  ... which unconfined gets, and mounts in" is sbxopen ok /probe userns_mount
check "unshare(CLONE_NEWUSER): EPERM (filter)" is sbx EPERM /probe unshare_user
check "clone3: ENOSYS (filter; libc falls back to clone)" is sbx ENOSYS /probe clone3
check "  ... unconfined: EINVAL from the kernel" is sbxopen EINVAL /probe clone3

# --- the clock
check "date -s is refused" has sbx "Operation not permitted" date -s 2001-01-01
check "clock_settime: EPERM before the kernel checks the time (filter)" is sbx EPERM /probe settime
check "  ... unconfined: EINVAL (the kernel saw the call)" is sbxopen EINVAL /probe settime
check "date -s as uid 1000 is refused" has sbxuser "Operation not permitted" date -s 2001-01-01

# --- the watchdog
check "ptrace(ATTACH) of the watchdog: EPERM" is sbx EPERM /probe ptrace_attach
check "ptrace(TRACEME): EPERM (filter)" is sbx EPERM /probe ptrace_traceme
check "  ... unconfined: allowed" is sbxopen ok /probe ptrace_traceme
check "/proc/1/mem (the watchdog) cannot be opened" is sbx EACCES /probe read_mem
check "  ... nor unconfined (the watchdog is not dumpable)" is sbxopen EACCES /probe read_mem
check "the kernel keyring: EPERM (filter)" is sbx EPERM /probe keyctl
check "  ... unconfined: reachable" is sbxopen ok /probe keyctl
check "bpf: EPERM" is sbx EPERM /probe bpf

# --- containerd's socket
check "the host's containerd socket exists on the host" test -S "$FAASD_CONTAINERD_SOCKET"
check "it is not in the function" is sbx ENOENT /probe connect_unix "$FAASD_CONTAINERD_SOCKET"
check "nor the default socket" is sbx ENOENT /probe connect_unix /run/containerd/containerd.sock
check "nor the provider's state (secrets' host copies)" is sbx "no" \
  "test -e '$FAASD_PROVIDER_STATE_DIR' && echo yes || echo no"

# --- secrets
check "a function reads its own secret" is sbx "value-of-a" cat /var/openfaas/secrets/sbx-secret-a
check "not another function's" is sbx "no" \
  'test -e /var/openfaas/secrets/sbx-secret-b && echo yes || echo no'
check "the other function has it" is sbxopen "value-of-b" cat /var/openfaas/secrets/sbx-secret-b
check "its value is nowhere in the first function's files" is sbx "none" \
  'grep -rl value-of-b /bin /etc /tmp /var /run.sh /probe 2>/dev/null || echo none'

# --- the metadata address, made local
metadata_local() { # the host's route to $1 is the test's veth
  ip route get "$1" | grep -q "dev $meta_if "
}
ip netns add "$meta_ns" &&
  ip link add "$meta_if" type veth peer name faasdsbxm1 netns "$meta_ns" &&
  ip addr add 10.193.1.1/30 dev "$meta_if" && ip link set "$meta_if" up &&
  ip -n "$meta_ns" link set lo up && ip -n "$meta_ns" link set faasdsbxm1 up &&
  ip -n "$meta_ns" addr add 10.193.1.2/30 dev faasdsbxm1 &&
  ip -n "$meta_ns" addr add 169.254.169.254/32 dev faasdsbxm1 &&
  ip -n "$meta_ns" addr add 169.254.169.253/32 dev faasdsbxm1 &&
  ip -n "$meta_ns" route add default via 10.193.1.1 &&
  ip route add 169.254.169.254/32 via 10.193.1.2 dev "$meta_if" &&
  ip route add 169.254.169.253/32 via 10.193.1.2 dev "$meta_if"
check "169.254.169.254 and .253 are routed to the test's namespace" \
  bash -c "$(declare -f metadata_local); meta_if=$meta_if; metadata_local 169.254.169.254 && metadata_local 169.254.169.253"
if metadata_local 169.254.169.254 && metadata_local 169.254.169.253; then
  for a in 169.254.169.254 169.254.169.253; do
    ip netns exec "$meta_ns" setpriv --pdeathsig KILL -- python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80)); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"metadata\n"); c.close()' "$a" &
    listeners+=($!)
  done
  check "the host reaches the listener on 169.254.169.254" \
    wait_for 5 bash -c 'exec 2>/dev/null 3<>/dev/tcp/169.254.169.254/80'
  check "a function cannot reach 169.254.169.254: EACCES" is sbx EACCES /probe connect 169.254.169.254 80
  check "  ... nor unconfined (the route is the namespace's)" \
    is sbxopen EACCES /probe connect 169.254.169.254 80
  check "  ... but reaches 169.254.169.253 (only the metadata address is refused)" \
    is sbx metadata 'nc 169.254.169.253 80 </dev/null'
  check "its network namespace has the prohibit route" bash -c \
    "for n in '$FAASD_NETNS_DIR'/openfaas-fn-sbx-*; do
       nsenter --net=\$n ip route show 169.254.169.254 | grep -q prohibit || exit 1; done"

  stop_daemon
  export FAASD_FUNCTION_EGRESS_ALLOW=169.254.169.254
  check "faasd up restarts with FAASD_FUNCTION_EGRESS_ALLOW=169.254.169.254" start_daemon
  # New replicas take the setting: remove and deploy again.
  auth -o /dev/null -X DELETE -d '{"functionName":"sbx"}' "$gw/system/functions"
  check "deploy the function again" deployed sbx ',"secrets":["sbx-secret-a"]'
  check "with the allowance a function reaches 169.254.169.254" \
    is sbx metadata 'nc 169.254.169.254 80 </dev/null'
fi

# --- the user-namespaced mode: the function's root is uid 200000 on the host
stop_daemon
export FAASD_FUNCTION_USERNS=200000:65536
# The bundles are under $tmp (mktemp's 0700): the namespace's root must be
# able to pass through, as through /run/containerd.
chmod 0711 "$tmp"
check "faasd up restarts with FAASD_FUNCTION_USERNS=200000:65536" start_daemon
auth -o /dev/null -X DELETE -d '{"functionName":"sbx"}' "$gw/system/functions"
check "deploy the function in its own user namespace" deployed sbx ',"secrets":["sbx-secret-a"]'
check "it is root inside" is sbx "0" id -u
# shellcheck disable=SC2016 # expanded in the function
check "its ids 0.. are the host's 200000.." is sbx "0 200000 65536" \
  'read -r a b c </proc/self/uid_map; echo "$a $b $c"'
check "its watchdog runs as uid 200000 on the host" bash -c \
  "p=\$(ctr -a '$FAASD_CONTAINERD_SOCKET' -n openfaas-fn tasks ls | awk '\$1 ~ /^sbx-/ {print \$2}');
   [[ -n \$p && \$(stat -c %u /proc/\$p) == 200000 ]]"
check "its image's files are its own (root may write to /)" is sbx "ok" \
  'echo x >/written && echo ok'
check "it reads its secret" is sbx "value-of-a" cat /var/openfaas/secrets/sbx-secret-a
check "the filter still applies" is sbx EPERM /probe settime
check "  ... and so do the capabilities: no mount even as the namespace's root" is sbx EPERM /probe mount

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
