#!/usr/bin/env bash
# End to end: faults under load. A real daemon (its own containerd, runc,
# the CNI plugins) carries a bounded load of sync and async invocations of
# a two-replica function while, one section each:
#   - the daemon is killed (-9) in the middle of a deploy, an update, a
#     scale up, a scale down, a delete, a park and a wake, then started
#     again;
#   - the containerd it supervises is killed (-9);
#   - a replica's watchdog is killed (-9) from the host;
#   - the disk of the queue's database fills up (a small tmpfs);
#   - the bridge CNI plugin hangs during a deploy.
# After each: every async request answered 202 is called back (counted by
# call id; duplicates are allowed, delivery is at least once), the
# containers, tasks, snapshots, network namespaces, IP leases and iptables
# rules are what the API's replicas call for, the API's replicas and
# availableReplicas are what runs, and the function serves again.
#
# Operations are held in flight deterministically: the "gate" function's
# replicas are not ready until the test writes /open into their root
# (so deploy, update and scale up wait), its watchdog keeps running for a
# while after SIGTERM (so stopping one takes the daemon's grace period),
# and a park or wake is held by stopping (SIGSTOP) one replica's shim:
# the other replica is frozen (or thawed) and the daemon's call to the held
# one waits.
#
# Usage: chaos_test.sh FAASD FWATCHDOG LOAD.py   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
load_py=$(realpath "$3")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 iptables pgrep; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done
[[ -x /usr/lib/cni/bridge ]] || { echo "SKIP: needs the CNI plugins in /usr/lib/cni"; exit 77; }

# A network of its own, so it can run beside the other e2e tests.
e2e_bridge=faasdchaos0
e2e_subnet=10.191.0.0/24
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
started=$SECONDS
net_prefix=${FAASD_CNI_SUBNET%.*}.
cp "$load_py" "$tmp/chaos_load.py" # its command line names $tmp: cleanup kills it
export FAASD_CALLBACK_ALLOW=127.0.0.1/32

stopped_shims=()
chaos_cleanup() {
  local p
  for p in "${stopped_shims[@]}"; do kill -CONT "$p" 2>/dev/null; done
  [[ -n ${receiver_pid:-} ]] && kill "$receiver_pid" 2>/dev/null
  [[ -n ${load_pid:-} ]] && kill "$load_pid" 2>/dev/null
  rm -f "$tmp/cni-hang"
  umount -l "$FAASD_STATE_DIR/containerd" 2>/dev/null
  umount -l "$FAASD_STATE_DIR" 2>/dev/null
}
extra_cleanup=chaos_cleanup

# --- the queue's database lives in the state directory: put it on a
# small tmpfs of its own; containerd's part of it stays on the disk.
mkdir -p "$FAASD_STATE_DIR" "$tmp/containerd-disk"
mount -t tmpfs -o size=32m,mode=0700 faasdchaos "$FAASD_STATE_DIR" || exit 1
mkdir -p "$FAASD_STATE_DIR/containerd"
mount --bind "$tmp/containerd-disk" "$FAASD_STATE_DIR/containerd" || exit 1

# --- CNI plugins through wrappers; bridge hangs while $tmp/cni-hang exists
mkdir -p "$tmp/cni-bin"
for plugin in /usr/lib/cni/*; do
  name=$(basename "$plugin")
  {
    echo '#!/bin/sh'
    if [[ $name == bridge ]]; then echo "[ -e '$tmp/cni-hang' ] && exec sleep 3600"; fi
    echo "exec '$plugin' \"\$@\""
  } >"$tmp/cni-bin/$name"
  chmod +x "$tmp/cni-bin/$name"
done
export CNI_PATH=$tmp/cni-bin

# --- the image: cat behind fwatchdog; /gate.sh holds readiness until
# /open exists (in the root, which a restart of the task keeps; /tmp is
# not kept), then serves cat behind a second watchdog
mkdir -p "$tmp/img/rootfs"
cat >"$tmp/img/rootfs/gate.sh" <<'SH'
#!/bin/sh
while [ ! -e /open ]; do sleep 0.05; done
exec env mode=classic fprocess=cat port=8000 metrics_port=-1 suppress_lock=true /fwatchdog
SH
build_image faasd.test/chaos:1 "$tmp/img" sh cat env sleep
C=(ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn)

check "faasd up starts (state on a tmpfs, CNI plugins wrapped)" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
auth=(-u "admin:$pass")
check "the test image imports" bash -c "$(printf '%q ' "${C[@]}") images import '$img/image.tar' >/dev/null"

cb_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
callback=http://127.0.0.1:$cb_port/cb
touch "$tmp/callbacks"
python3 "$tmp/chaos_load.py" receiver "$cb_port" "$tmp/callbacks" &
receiver_pid=$!

# deploy METHOD JSON: the HTTP status; the body in $tmp/deploy.out.
deploy() {
  curl -s --max-time 90 -o "$tmp/deploy.out" -w '%{http_code}' "${auth[@]}" -X "$1" -d "$2" \
    "$gw/system/functions"
}
ok_deploy() { local code; code=$(deploy "$@"); [[ $code == 200 || $code == 202 ]] || { echo "$code $(cat "$tmp/deploy.out")"; false; }; }
scale() { # NAME N: the HTTP status
  curl -s --max-time 90 -o /dev/null -w '%{http_code}' "${auth[@]}" -X POST \
    -d "{\"serviceName\":\"$1\",\"replicas\":$2}" "$gw/system/scale-function/$1"
}
remove() { # NAME: the HTTP status
  curl -s --max-time 90 -o /dev/null -w '%{http_code}' "${auth[@]}" -X DELETE \
    -d "{\"functionName\":\"$1\"}" "$gw/system/functions"
}
gone() { ! exists "$1"; }
exists() { [[ $(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$gw/system/function/$1") == 200 ]]; }
serves() { [[ $(curl -s --max-time 5 -d "ping $1" "$gw/function/$1") == "ping $1" ]]; }
image='"image":"faasd.test/chaos:1"'
gate_json() { # NAME [EXTRA-ENV]: a gated function, autoscaling off
  echo "{\"service\":\"$1\",$image,\"envProcess\":\"sh /gate.sh\",\"envVars\":{\"mode\":\"http\",\"upstream_url\":\"http://127.0.0.1:8000\",\"healthcheck_interval\":\"8s\"${2:-}},\"labels\":{\"com.openfaas.scale.factor\":\"0\"}}"
}

# tasks: "ID PID STATUS" of every task; replica IDs are NAME-<6 hex>.
tasks() { timeout 20 "${C[@]}" tasks ls 2>/dev/null | awk 'NR > 1 {print $1, $2, $3}'; }
tasks_of() { tasks | grep -E "^$1-[0-9a-f]{6} "; }
ntasks_of() { tasks_of "$1" | wc -l; }
running() { [[ $(tasks_of "$1" | grep -c ' RUNNING$') -ge $2 ]]; } # NAME N: at least N running
# open_gate NAME: writes /open into each of its replicas' root.
open_gate() {
  local p st
  while read -r _ p st; do
    [[ $st == RUNNING ]] && touch "/proc/$p/root/open"
  done < <(tasks_of "$1")
  return 0
}
# replica_ips NAME: the IPs host-local leased to NAME's replicas (a lease
# file's first line is the container id, ending in \r).
replica_ips() {
  local f
  for f in "$FAASD_CNI_IPAM_DIR"/*/"$net_prefix"*; do
    [[ -f $f ]] && head -1 "$f" | tr -d '\r' | grep -qE "^openfaas-fn-$1-[0-9a-f]{6}$" && basename "$f"
  done
  return 0
}
# stopping NAME: one of NAME's replicas has been told to stop (its health is 503).
stopping() {
  local ip
  for ip in $(replica_ips "$1"); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$ip:8080/_/health") == 503 ]] &&
      return 0
  done
  return 1
}

# --- counting what exists
counts() {
  local containers tasks snaps netns leases rules
  containers=$(timeout 20 "${C[@]}" containers ls -q 2>/dev/null | wc -l)
  tasks=$(tasks | wc -l)
  snaps=$(timeout 20 "${C[@]}" snapshots ls 2>/dev/null | awk 'NR > 1 && $3 == "Active"' | wc -l)
  netns=$(find "$FAASD_NETNS_DIR" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  leases=$(find "$FAASD_CNI_IPAM_DIR" -type f -name "$net_prefix*" 2>/dev/null | wc -l)
  rules=$({ iptables -t nat -S; iptables -t filter -S; } 2>/dev/null | grep -cF "$net_prefix")
  echo "containers=$containers tasks=$tasks snapshots=$snaps netns=$netns leases=$leases rules=$rules"
}
per_replica_rules=0
# truth: the API's replicas and availableReplicas are what containerd runs
# (a parked function: 0 and 0, every task paused), and there is exactly one
# container, task, active snapshot, netns, lease and set of rules per
# replica (plus a record container per function). Why not, in $why.
why=
truth() {
  local fns all name want avail running paused n=0 nf=0 expect got
  why=
  fns=$(python3 "$tmp/chaos_load.py" functions "$gw" "admin:$pass") || { why="no function list"; return 1; }
  all=$(tasks)
  while read -r name want avail; do
    [[ -n $name ]] || continue
    nf=$((nf + 1))
    running=$(grep -cE "^$name-[0-9a-f]{6} [0-9]+ RUNNING$" <<<"$all")
    paused=$(grep -cE "^$name-[0-9a-f]{6} [0-9]+ PAUSED$" <<<"$all")
    if [[ $want == 0 && $paused -gt 0 ]]; then
      [[ $avail == 0 && $running == 0 ]] || why+="$name parked: available=$avail, $running running; "
      n=$((n + paused))
    else
      [[ $avail == "$want" && $running == "$want" && $paused == 0 ]] ||
        why+="$name: replicas=$want available=$avail, $running running, $paused paused; "
      n=$((n + want))
    fi
  done <<<"$fns"
  expect="containers=$((nf + n)) tasks=$n snapshots=$n netns=$n leases=$n rules=$((n * per_replica_rules))"
  got=$(counts)
  [[ $got == "$expect" ]] || why+="counts $got, want $expect; "
  [[ -z $why ]]
}
truth_told() { truth || { echo "  $why"; false; }; }

# --- load: bounded, in the background, one directory per section
load_dir=
load_start() { # SECTION
  load_dir=$tmp/load/$1
  mkdir -p "$load_dir"
  : >"$load_dir/accepted"
  python3 "$tmp/chaos_load.py" load "$gw" "$1" "$callback" "$load_dir" 1200 60 20 &
  load_pid=$!
  wait_for 10 test -s "$load_dir/accepted" || echo "  (no async request accepted yet)"
}
load_stop() {
  touch "$load_dir/stop"
  wait "$load_pid"
  load_pid=
}
missing() { # DIR...: accepted call ids of these sections with no callback
  cat "${@/%//accepted}" | sort -u | comm -23 - <(cut -d' ' -f1 "$tmp/callbacks" | sort -u)
}
none_missing() { [[ -z $(missing "$@") ]]; }
duplicates() { # DIR...: accepted call ids called back more than once
  cut -d' ' -f1 "$tmp/callbacks" | sort | uniq -d | sort - <(cat "${@/%//accepted}" | sort -u) | uniq -d | wc -l
}

section=
section_start=0
begin() { # ID TITLE: a section, with its counts and load (call ids ID-<n>)
  section=$2
  section_start=$SECONDS
  echo "== $section"
  echo "counts before: $(counts)"
  load_start "$1"
}
# end: stop the load; the accepted async requests are all called back, the
# function under load serves, the API tells the truth, nothing leaked.
end() {
  local s
  check "$section: the loaded function serves again" wait_for 60 serves echo
  load_stop
  read -r -a s <"$load_dir/summary"
  echo "load: sync ok=${s[0]} failed=${s[1]}, async accepted=${s[2]} refused=${s[3]}"
  wait_for 120 none_missing "$load_dir"
  check "$section: every accepted async request called back (missing: $(missing "$load_dir" | wc -l), duplicates: $(duplicates "$load_dir"), of $(sort -u "$load_dir/accepted" | wc -l))" \
    none_missing "$load_dir"
  wait_for 60 truth
  echo "counts after: $(counts)"
  check "$section: the API tells the truth, nothing leaked" truth_told
  echo "($section took $((SECONDS - section_start)) s)"
}

kill_daemon() {
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  pid=
}

# --- the function under load: cat, two replicas, autoscaling off
check "deploy echo (two replicas)" ok_deploy POST \
  "{\"service\":\"echo\",$image,\"envProcess\":\"cat\",\"labels\":{\"com.openfaas.scale.min\":\"2\",\"com.openfaas.scale.max\":\"2\"}}"
check "echo serves" wait_for 30 serves echo
rules=$({ iptables -t nat -S; iptables -t filter -S; } | grep -cF "$net_prefix")
per_replica_rules=$((rules / 2))
check "the iptables rules are per replica ($rules for 2)" test $((per_replica_rules * 2)) -eq "$rules" -a "$rules" -gt 0
check "baseline: the API tells the truth" truth_told

# kill_in_flight: the operation in the background ($op, its status going
# to $tmp/op.code) has not answered; kill -9 the daemon, see that the
# client got no answer, start the daemon again.
kill_in_flight() {
  check "  ... still in flight" kill -0 "$op"
  kill_daemon
  wait "$op"
  check "  ... the client had no answer" test "$(cat "$tmp/op.code")" = 000
  check "faasd up starts after kill -9" start_daemon
}

# --- 1. kill -9 during a deploy: the replica is waiting to be ready
begin deploy "kill -9 during a deploy"
deploy POST "$(gate_json gate)" >"$tmp/op.code" &
op=$!
check "the deploy has started a replica and not answered" wait_for 30 running gate 1
kill_in_flight
if exists gate; then
  echo "the function exists after the restart (its record was made first)"
  wait_for 30 running gate 1
  open_gate gate
else
  echo "the function does not exist after the restart"
  deploy POST "$(gate_json gate)" >"$tmp/op.code" &
  op=$!
  wait_for 30 running gate 1
  open_gate gate
  wait "$op"
  check "deploy it again" grep -qE '^20[02]$' "$tmp/op.code"
fi
check "the deployed function serves" wait_for 30 serves gate
end

# --- 2. kill -9 during an update: the new replica is waiting to be ready
begin update "kill -9 during an update"
old=$(tasks_of gate | cut -d' ' -f1)
deploy PUT "$(gate_json gate ',"version":"2"')" >"$tmp/op.code" &
op=$!
check "the update has started a new replica and not answered" wait_for 30 running gate 2
kill_in_flight
only_old() { [[ $(tasks_of gate | cut -d' ' -f1) == "$old" ]]; }
check "the unfinished update's replica goes, the old one stays" wait_for 30 only_old
check "the function serves" wait_for 30 serves gate
end

# --- 3. kill -9 during a scale up: two new replicas waiting to be ready
begin scaleup "kill -9 during a scale up"
scale gate 3 >"$tmp/op.code" &
op=$!
check "the scale up has started two replicas and not answered" wait_for 30 running gate 3
kill_in_flight
open_gate gate
check "the function serves" wait_for 30 serves gate
end

# --- 4. kill -9 during a scale down: replicas stopping (their watchdogs
# keep running past SIGTERM, so the daemon waits its grace period)
begin scaledown "kill -9 during a scale down"
scale gate 1 >"$tmp/op.code" &
op=$!
check "the scale down is stopping a replica and has not answered" wait_for 30 stopping gate
kill_in_flight
check "the function serves" wait_for 30 serves gate
end

# --- 5. kill -9 during a delete: its replica stopping
begin delete "kill -9 during a delete"
remove gate >"$tmp/op.code" &
op=$!
check "the delete is stopping the replica and has not answered" wait_for 30 stopping gate
kill_in_flight
if exists gate; then
  echo "the function still exists after the restart (its record goes last)"
  check "it serves" wait_for 30 serves gate
  wait_for 60 truth
  check "deleting it again answers 202" test "$(remove gate)" = 202
else
  echo "the function is gone after the restart"
fi
check "the function is gone" wait_for 10 gone gate
end

# --- 6. kill -9 during a park: the last replica's shim is stopped, so
# the first is paused and the daemon's pause of the last waits
nap_json="{\"service\":\"nap\",$image,\"envProcess\":\"cat\",\"labels\":{\"com.openfaas.scale.zero\":\"true\",\"com.openfaas.scale.zero-duration\":\"8s\",\"com.openfaas.scale.min\":\"2\",\"com.openfaas.scale.factor\":\"0\"}}"
shim_of() { pgrep -f "containerd-shim-runc-v2 -namespace openfaas-fn -id $1 -address $FAASD_CONTAINERD_SOCKET"; }
hold_shim() { # ID: stops the shim of replica ID; its pid in $shim
  shim=$(shim_of "$1")
  [[ -n $shim ]] && kill -STOP "$shim" && stopped_shims+=("$shim")
}
frozen() { # ID: the replica's cgroup is frozen (cgroup v1 freezer, or v2)
  local v1=/sys/fs/cgroup/freezer/faasd/openfaas-fn/$1/freezer.state
  if [[ -f $v1 ]]; then
    [[ $(cat "$v1") == FROZEN ]]
  else
    grep -qx 'frozen 1' "/sys/fs/cgroup/faasd/openfaas-fn/$1/cgroup.events"
  fi
}
thawed() { ! frozen "$1"; }
logged() { [[ $(grep -cF "$1" "$tmp/faasd.log") -gt ${2:-0} ]]; } # TEXT [N]: more than N lines have it
release_shim() { kill -CONT "$shim"; stopped_shims=(); }
parked() { # NAME: every task paused, the API says 0
  [[ $(tasks_of "$1" | grep -vc ' PAUSED$') == 0 && $(ntasks_of "$1") -gt 0 ]] &&
    curl -fsS "${auth[@]}" "$gw/system/function/$1" | grep -q '"availableReplicas":0'
}
begin park "kill -9 during a park"
parks=$(grep -cF "nap.openfaas-fn: 2 -> 0 replicas, parked" "$tmp/faasd.log")
check "deploy nap (two replicas, parked after 8 s idle)" ok_deploy POST "$nap_json"
first=$(tasks_of nap | sort | head -1 | cut -d' ' -f1)
last=$(tasks_of nap | sort | tail -1 | cut -d' ' -f1)
check "hold its last replica's shim" hold_shim "$last"
parking() { logged "nap.openfaas-fn: 2 -> 0 replicas, parked" "$parks" && frozen "$first"; }
check "the park has begun and frozen the first replica" wait_for 30 parking
check "  ... not the last (its shim is held)" thawed "$last"
kill_daemon
release_shim
check "faasd up starts after kill -9" start_daemon
check "the function is parked" wait_for 30 parked nap
end

# --- 7. kill -9 during a wake: the first replica's shim is stopped, so
# the daemon's resume of it waits while the last is resumed
begin wake "kill -9 during a wake"
check "nap is parked" wait_for 30 parked nap
first=$(tasks_of nap | sort | head -1 | cut -d' ' -f1)
last=$(tasks_of nap | sort | tail -1 | cut -d' ' -f1)
check "hold its first replica's shim" hold_shim "$first"
curl -s --max-time 60 -o /dev/null -w '%{http_code}' -d x "$gw/function/nap" >"$tmp/op.code" &
op=$!
waking() { thawed "$last" && frozen "$first"; }
check "the wake has resumed the last replica, not the first (its shim is held)" wait_for 30 waking
check "  ... the invocation is in flight" kill -0 "$op"
kill_daemon
release_shim
wait "$op"
check "faasd up starts after kill -9" start_daemon
check "the function serves" wait_for 30 serves nap
end
check "remove nap" test "$(remove nap)" = 202

# --- 8. containerd killed (-9) under load
begin containerd "containerd killed (-9) under load"
cpid=$(cut -d' ' -f1 "$FAASD_STATE_DIR/containerd/pid")
kill -KILL "$cpid"
replaced() {
  [[ $(cut -d' ' -f1 "$FAASD_STATE_DIR/containerd/pid" 2>/dev/null) != "$cpid" ]] &&
    curl -fsS -o /dev/null "${auth[@]}" "$gw/system/functions"
}
check "the daemon starts another containerd and the API answers" wait_for 60 replaced
end

# --- 9. a replica's watchdog killed (-9) from the host
begin replica "a replica's watchdog killed (-9)"
read -r rid rpid _ < <(tasks_of echo | sort | head -1)
kill -KILL "$rpid"
restarted() { tasks_of echo | grep -qE "^$rid [0-9]+ RUNNING$" && ! tasks_of echo | grep -q "^$rid $rpid "; }
check "its task is started again" wait_for 60 restarted
end

# --- 10. the queue's disk full: new async requests get 503 (once SQLite
# needs a page the disk does not have: the WAL's room may take a few
# first); what was accepted before is delivered once there is room again
begin disk "the queue's disk full"
dd if=/dev/zero of="$FAASD_STATE_DIR/filler" bs=64k 2>/dev/null
check "the state disk is full" test "$(df --output=avail "$FAASD_STATE_DIR" | tail -1)" -eq 0
async() { # N: the status of async request disk-full-N
  curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "X-Call-Id: disk-full-$1" \
    -H "X-Callback-Url: $callback" -d "full $1" "$gw/async-function/echo"
}
refused=0
for i in $(seq 1 1000); do
  code=$(async "$i")
  [[ $code == 202 ]] && echo "disk-full-$i" >>"$load_dir/accepted"
  [[ $code == 503 ]] && { refused=$i; break; }
done
check "an async request gets 503 while the disk is full (request $refused)" test "$refused" -gt 0
codes=$(for i in 1 2 3 4 5; do async "more-$i"; echo; done | sort | uniq -c | xargs)
check "  ... and so do the next five ($codes)" test "$codes" = "5 503"
rm -f "$FAASD_STATE_DIR/filler"
accepted_again() { [[ $(async room) == 202 ]]; }
check "with room again, an async request is accepted" wait_for 30 accepted_again
echo disk-full-room >>"$load_dir/accepted"
end

# --- 11. a CNI plugin that hangs: the deploy fails in bounded time and
# leaves nothing behind; the next one works
begin cni "a hanging bridge CNI plugin"
touch "$tmp/cni-hang"
plain_json="{\"service\":\"plain\",$image,\"envProcess\":\"cat\"}"
t0=$SECONDS
code=$(deploy POST "$plain_json")
took=$((SECONDS - t0))
check "the deploy fails ($code) within 60 s (took $took s)" \
  test "$code" != 200 -a "$code" != 202 -a "$took" -le 60
echo "  $(cat "$tmp/deploy.out")"
check "  ... saying the bridge plugin did not finish" grep -q "bridge plugin" "$tmp/deploy.out"
check "  ... the function does not exist" gone plain
no_plugin() { ! pgrep -f "^sleep 3600$" >/dev/null; }
check "  ... no plugin is left running" no_plugin
check "  ... nothing half-made" truth_told
# The undo's DEL timed out too: the attachment's record stays for the
# next start's recovery to run DEL again (nothing else of it exists).
echo "  attachment records of plain left for recovery: $(find "$FAASD_PROVIDER_STATE_DIR/cni" -name 'openfaas-fn-plain-*' | wc -l)"
rm -f "$tmp/cni-hang"
check "without the hang, the deploy works" ok_deploy POST "$plain_json"
check "  ... and the function serves" wait_for 30 serves plain
check "remove it" test "$(remove plain)" = 202
end

# --- over all sections
all_dirs=("$tmp"/load/*)
check "no accepted async request lost over all sections (missing: $(missing "${all_dirs[@]}" | wc -l), duplicates: $(duplicates "${all_dirs[@]}"), of $(cat "${all_dirs[@]/%//accepted}" | sort -u | wc -l))" \
  none_missing "${all_dirs[@]}"
if [[ $failures -gt 0 ]]; then
  echo "the daemon's log ends:"
  tail -n 40 "$tmp/faasd.log"
fi
echo "$passes passed, $failures failed ($((SECONDS - started)) s)"
[[ $failures -eq 0 ]]
