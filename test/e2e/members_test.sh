#!/usr/bin/env bash
# End to end: `faasd up` with FAASD_CLUSTER_MEMBERS runs this node's etcd
# member. Two members on loopback, on ports of their own: n1 is this faasd's,
# n2 an etcd started by hand with n2's command line, as the second VM's
# faasd would. Until n2 is up, faasd waits for the cluster, saying so, and
# SIGTERM stops it cleanly; once n2 is up it joins and serves. After a
# kill -9 of faasd it supervises the member it left running (restarts it
# when it is killed), and a graceful stop stops it.
#
# Usage: members_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd runc curl etcd setpriv; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
c1=$(free_port) p1=$(free_port) c2=$(free_port) p2=$(free_port)
export FAASD_CLUSTER_MEMBERS="n1=127.0.0.1:$c1:$p1,n2=127.0.0.1:$c2:$p2"
export FAASD_CLUSTER_NODE=n1
member_pid_file=$FAASD_STATE_DIR/etcd/pid

n2=
stop_n2() {
  if [[ -n $n2 ]]; then kill -TERM "$n2" 2>/dev/null && wait "$n2" 2>/dev/null; fi
  n2=
}
extra_cleanup=stop_n2

# gone PID: not running (or a zombie nobody reaped yet)
gone() { [[ ! -e /proc/$1 ]] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
member_pid() { cut -d' ' -f1 "$member_pid_file" 2>/dev/null; }
listens() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
says() { grep -q "$1" "$tmp/faasd.log"; }

# --- a node that is not a member is refused at once
out=$(FAASD_CLUSTER_NODE=n3 "$faasd" up 2>&1)
rc=$?
check "a node outside the members: non-zero exit" test $rc -ne 0
check "a node outside the members: one line naming the members" \
  test "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a -n "$(printf '%s' "$out" | grep 'n1, n2')"

# --- alone, it waits for the cluster; SIGTERM stops it and its member
"$faasd" up >>"$tmp/faasd.log" 2>&1 &
pid=$!
check "n1 alone waits, saying so" \
  wait_for 30 says "waiting for the etcd cluster (1 of 2 members answer)"
first=$(member_pid)
check "its member runs (pid $first)" kill -0 "${first:-0}"
check "and listens on 127.0.0.1:$c1" listens "$c1"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM while waiting: exit 0" test $rc -eq 0
check "the member is stopped with it" wait_for 15 gone "$first"
check "its record is removed" test ! -e "$member_pid_file"

# --- n2 comes up: n1 joins and serves
"$faasd" up >>"$tmp/faasd.log" 2>&1 &
pid=$!
check "started again, it waits again" wait_for 30 bash -c "[[ \$(grep -c 'waiting for the etcd cluster' '$tmp/faasd.log') -ge 2 ]]"
mkdir -p "$tmp/n2"
setpriv --pdeathsig KILL -- etcd --name n2 --data-dir "$tmp/n2/data" \
  --listen-client-urls "http://127.0.0.1:$c2" --advertise-client-urls "http://127.0.0.1:$c2" \
  --listen-peer-urls "http://127.0.0.1:$p2" --initial-advertise-peer-urls "http://127.0.0.1:$p2" \
  --initial-cluster "n1=http://127.0.0.1:$p1,n2=http://127.0.0.1:$p2" \
  --initial-cluster-state new --initial-cluster-token faasd --logger zap \
  >>"$tmp/n2/etcd.log" 2>&1 &
n2=$!
healthy() { curl -fsS -o /dev/null "$gw/healthz" 2>/dev/null; }
check "with n2 up, n1 joins and answers /healthz" wait_for 60 healthy
check "the log says the cluster has a leader" says "the etcd cluster has a leader"
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password" 2>/dev/null)
check "/system/cluster lists node n1 at its member's address" bash -c \
  "curl -fsS -u admin:$pass $gw/system/cluster | grep -q '127.0.0.1'"

# --- kill -9 of faasd: the member is adopted
member=$(member_pid)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
check "the member outlives a kill -9 of faasd" kill -0 "${member:-0}"
check "faasd up starts after kill -9" start_daemon
check "it supervises the member it left (pid $member)" \
  says "supervising the etcd an earlier run started (pid $member)"

# --- the member killed: restarted
kill -KILL "$member"
replaced() {
  local now
  now=$(member_pid)
  [[ -n $now && $now != "$member" ]] && kill -0 "$now" 2>/dev/null && listens "$c1"
}
check "the member killed: faasd starts it again" wait_for 30 replaced
member=$(member_pid)
check "the API answers after the member's restart" \
  wait_for 30 curl -fs -o /dev/null -u "admin:$pass" "$gw/system/cluster"

# --- a graceful stop stops the member
stop_daemon
check "a graceful stop stops the member" wait_for 15 gone "$member"
check "and removes its record" test ! -e "$member_pid_file"
stop_n2

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
