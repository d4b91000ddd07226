#!/usr/bin/env bash
# Function triggers on a private `faasd up` (root: its own containerd, CNI
# bridge faasdbtrg0 and subnet 10.194.0.0/24, state and gateway port, and a
# mosquitto of its own on a free loopback port, persistence in the temp
# folder), against the same functions driven from outside the daemon, in
# the same run.
#
# 1. Cron jitter. FUNCTIONS functions (fwatchdog classic mode on busybox; a
#    run is `sh /run.sh`, which reads the clock first, adjtimex's ns, then
#    logs its X-Scheduled-Time, X-Call-Id and X-Connector to stderr), with
#    schedules "@every 1s" (three in five), "@every 2s" and "@every 3s". Each
#    phase covers the same window of whole seconds, long enough for RUNS
#    runs (at most PHASE_SECONDS):
#      timer sync:   a loop outside the daemon (bench/triggers/helper.py, a
#                    thread per function sleeping until each whole multiple
#                    of its period) POSTing to /function/<fn>, as a
#                    cron-connector does;
#      timer async:  the same loop POSTing to /async-function/<fn>, so the
#                    runs take the same queue as the daemon's own;
#      faasd cron:   the functions updated with `topic: cron-function` and
#                    their schedule; the window starts WARMUP seconds after
#                    the last update returned (the rolling updates' replicas
#                    are out of the way).
#    Per phase: p50, p99 and max of actual - scheduled, "actual" being the
#    function's clock when its process ran (read through GET /system/logs),
#    and, for the runs that took the queue, enqueuedAt (GET
#    /system/async-requests, by call id) - scheduled, with the median time
#    from the first to the last enqueuedAt of the runs due at one second
#    (spread: how the runs of one tick reach the queue). enqueuedAt is kept
#    in ms. Runs scheduled in the window are counted against those the
#    schedules have there (expected), a run logged twice as dup.
# 2. MQTT delivery rate. One function (fwatchdog classic, `cat`) with
#    `topic: bench/#`; MESSAGES messages published at QoS 1 by one
#    `mosquitto_pub -l` (its default 20 in flight), timed from the first
#    publish until the gateway's gateway_function_invocation_total{code=
#    "200"} for the function has grown by MESSAGES. The broker keeps every
#    message it queues for the daemon (max_queued_messages 0), so a slow
#    daemon shows as time, not as loss. In the same round: MESSAGES POSTs to
#    /async-function/<fn> (CONCURRENCY keep-alive connections) timed the
#    same way, and MESSAGES POSTs to /function/<fn> (sync, same
#    concurrency). ROUNDS rounds, each path going first in turn; medians.
#    Also the rate at which the queue accepted them: until the trigger's
#    runs (GET /system/triggers) grew by MESSAGES, and until the last 202.
#
# Every wait is bounded by STEP_TIMEOUT seconds. Everything made goes on
# exit: the functions, the daemon, its containerd and their processes, the
# broker, mounts, the bridge and its iptables rules, the temp folder.
# Progress goes to stderr, the figures to stdout. With the defaults it takes
# about 4 minutes on 2 cores.
#
# Usage: bench/triggers/run.sh [BUILD_DIR]   (meson build, default build/)
#   env: FUNCTIONS=30 RUNS=1000 PHASE_SECONDS=60 WARMUP=3 MESSAGES=2000
#        CONCURRENCY=20 ROUNDS=3 STEP_TIMEOUT=120
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
functions=${FUNCTIONS:-30}
runs=${RUNS:-1000}
phase_max=${PHASE_SECONDS:-60}
warmup=${WARMUP:-3}
messages=${MESSAGES:-2000}
concurrency=${CONCURRENCY:-20}
rounds=${ROUNDS:-3}
step_timeout=${STEP_TIMEOUT:-120}
faasd=$build/faasd
fwatchdog=$build/src/watchdog/fwatchdog
helper=$root/bench/triggers/helper.py
mosquitto=/usr/sbin/mosquitto

die() { echo "bench/triggers: $*" >&2; exit 1; }
say() { echo "# $*" >&2; }
[[ $(id -u) -eq 0 ]] || die "run as root (containerd, CNI)"
for v in "$functions" "$runs" "$phase_max" "$messages" "$concurrency" "$rounds" "$step_timeout"; do
  [[ $v =~ ^[1-9][0-9]{0,5}$ ]] || die "FUNCTIONS, RUNS, PHASE_SECONDS, MESSAGES, CONCURRENCY, ROUNDS, STEP_TIMEOUT: whole numbers from 1"
done
[[ $warmup =~ ^[0-9]{1,3}$ ]] || die "WARMUP: a whole number of seconds"
((functions <= 100 && phase_max <= 600 && messages <= 100000 && concurrency <= 200 && rounds <= 20)) ||
  die "at most FUNCTIONS=100 PHASE_SECONDS=600 MESSAGES=100000 CONCURRENCY=200 ROUNDS=20"
for f in "$faasd" "$fwatchdog"; do [[ -x $f ]] || die "$f is missing: ninja -C $build faasd src/watchdog/fwatchdog"; done
[[ -x $mosquitto ]] || die "$mosquitto is missing (apt-get install mosquitto mosquitto-clients)"
for bin in containerd ctr runc curl busybox python3 mosquitto_pub tar ip iptables timeout; do
  command -v "$bin" >/dev/null || die "$bin is missing (hack/install-deps.sh)"
done

tmp=$(mktemp -d /tmp/faasd-bench-triggers-XXXXXX)
bridge=faasdbtrg0
subnet_prefix=10.194.0.
daemon_pid=
broker_pid=
deployed=()

# ---------------------------------------------------------------- cleanup
unmount_under() { # DIR: every mount below DIR, deepest first
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
gw_auth() { echo "admin:$(cat "$tmp/state/secrets/basic-auth-password" 2>/dev/null)"; }
remove_fn() { # FN: removed, and gone from the list (10 s)
  curl -s -u "$(gw_auth)" -X DELETE -d "{\"functionName\":\"$1\"}" "$gw/system/functions" >/dev/null
  for _ in $(seq 1 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -u "$(gw_auth)" "$gw/system/function/$1") == 404 ]] && return 0
    sleep 0.1
  done
}
stop_daemon() {
  [[ -n $daemon_pid ]] || return 0
  kill -TERM "$daemon_pid" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$daemon_pid" 2>/dev/null
  wait "$daemon_pid" 2>/dev/null
  daemon_pid=
}
cleanup() {
  set +e
  if [[ -n $daemon_pid ]]; then
    for fn in "${deployed[@]}"; do remove_fn "$fn"; done
  fi
  stop_daemon
  if [[ -n $broker_pid ]]; then kill "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null; fi
  # Whatever this run started and is still there (shims, function
  # processes) runs from $tmp: by pid.
  for p in /proc/[0-9]*; do
    grep -qsF "$tmp" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  sleep 0.2
  unmount_under "$tmp"
  ip link del "$bridge" 2>/dev/null
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -F "$subnet_prefix" | sed 's/^-A/-D/' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
wait_for() { # SECONDS COMMAND...: until COMMAND succeeds, or false after SECONDS
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [[ $SECONDS -lt $deadline ]] || return 1
    sleep 0.1
  done
}

# build_image TAG DIR FPROCESS APPLET...: DIR/image.tar, a docker-save
# archive of TAG: fwatchdog on busybox with the applets and DIR/rootfs's
# own files.
build_image() {
  local tag=$1 dir=$2 fprocess=$3 applet diffid cfg
  shift 3
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp" "$dir/rootfs/etc" "$dir/rootfs/proc" \
    "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/archive"
  cp "$(command -v busybox)" "$dir/rootfs/bin/busybox"
  for applet in "$@"; do ln -sf busybox "$dir/rootfs/bin/$applet"; done
  cp "$fwatchdog" "$dir/rootfs/fwatchdog"
  chmod 1777 "$dir/rootfs/tmp"
  tar -C "$dir/rootfs" --numeric-owner --owner=0 --group=0 -cf "$dir/layer.tar" .
  diffid=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  cat >"$dir/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","fprocess=$fprocess"],"Cmd":["/fwatchdog"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$diffid"]}}
JSON
  cfg=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  cp "$dir/layer.tar" "$dir/archive/$diffid.tar"
  cp "$dir/config.json" "$dir/archive/$cfg.json"
  echo "[{\"Config\":\"$cfg.json\",\"RepoTags\":[\"$tag\"],\"Layers\":[\"$diffid.tar\"]}]" >"$dir/archive/manifest.json"
  tar -C "$dir/archive" -cf "$dir/image.tar" .
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$dir/image.tar" >/dev/null ||
    die "importing $tag failed"
}

deploy() { # METHOD JSON: a deploy or an update, answered 2xx
  local code
  code=$(curl -s -o "$tmp/deploy.$BASHPID" -w '%{http_code}' -u "$(gw_auth)" -X "$1" -d "$2" \
    --max-time "$step_timeout" "$gw/system/functions")
  [[ $code == 2* ]] || { echo "deploy answered $code: $(cat "$tmp/deploy.$BASHPID")" >&2; return 1; }
}
answers() { # FN: a sync invoke is answered 200
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -d x "$gw/function/$1") == 200 ]]
}
# in_parallel N COMMAND ARGS... (one per line on stdin): N at once; false
# when any failed.
in_parallel() {
  local n=$1 line rc=0
  shift
  local pids=()
  while read -r line; do
    "$@" "$line" &
    pids+=($!)
    if ((${#pids[@]} >= n)); then
      wait "${pids[0]}" || rc=1
      pids=("${pids[@]:1}")
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}

# ---------------------------------------------------------------- daemon
mport=$(free_port)
mkdir -p "$tmp/mosquitto"
cat >"$tmp/mosquitto/mosquitto.conf" <<CONF
listener $mport 127.0.0.1
allow_anonymous true
persistence true
persistence_location $tmp/mosquitto/
max_queued_messages 0
max_inflight_messages 20
log_dest stderr
log_type error
log_type warning
CONF
# As root it runs as the mosquitto user: that user writes the persistence.
id mosquitto >/dev/null 2>&1 && chown mosquitto "$tmp/mosquitto"
chmod 711 "$tmp"
"$mosquitto" -c "$tmp/mosquitto/mosquitto.conf" 2>"$tmp/mosquitto/log" &
broker_pid=$!
broker_up() { mosquitto_pub -h 127.0.0.1 -p "$mport" -t bench/ping -m x -q 1 2>/dev/null; }
wait_for 10 broker_up || { cat "$tmp/mosquitto/log" >&2; die "mosquitto did not start"; }

gw_port=$(free_port)
export FAASD_STATE_DIR=$tmp/state FAASD_PROVIDER_STATE_DIR=$tmp/provider
export FAASD_CONTAINERD_SOCKET=$tmp/c.sock FAASD_GATEWAY_ADDRESS=127.0.0.1 FAASD_GATEWAY_PORT=$gw_port
export FAASD_CNI_BRIDGE=$bridge FAASD_CNI_SUBNET=${subnet_prefix}0/24 FAASD_CNI_CONF_DIR=$tmp/cni
export FAASD_CNI_IPAM_DIR=$tmp/ipam FAASD_NETNS_DIR=$tmp/netns FAASD_PULL_POLICY=Never
export FAASD_MQTT_BROKER=mqtt://127.0.0.1:$mport FAASD_MQTT_CLIENT_ID=faasd-bench
gw=http://127.0.0.1:$gw_port
start_daemon() {
  "$faasd" up >>"$tmp/faasd.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$gw/healthz" 2>/dev/null && return 0
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}
mqtt=yes
say "faasd up with FAASD_MQTT_BROKER=$FAASD_MQTT_BROKER"
if ! start_daemon; then
  say "faasd up did not start with a broker; its log:"
  tail -5 "$tmp/faasd.log" >&2
  stop_daemon
  unset FAASD_MQTT_BROKER
  mqtt="n/a: faasd up did not start with FAASD_MQTT_BROKER"
  start_daemon || { tail -20 "$tmp/faasd.log" >&2; die "faasd up did not answer"; }
fi

say "images"
mkdir -p "$tmp/tick/rootfs"
cat >"$tmp/tick/rootfs/run.sh" <<'SH'
# The clock first (adjtimex: seconds, the fraction in ns with STA_NANO in
# status, else in us), then one line to stderr for the logs API.
t=$(adjtimex | awk '/tv_sec/ {s = $2} /tv_usec/ {u = $2} /status/ {st = $2} END {print s, u, st}')
echo "bench-run ${Http_X_Scheduled_Time:-none} ${Http_X_Call_Id:-} ${Http_X_Connector:-none} $t" >&2
SH
build_image faasd.bench/tick:1 "$tmp/tick" "sh /run.sh" sh awk adjtimex cat
build_image faasd.bench/echo:1 "$tmp/echo" cat cat

# ================================================================ 1. cron
# Schedules: periods 1 1 2 1 3 (seconds), repeated.
periods=(1 1 2 1 3)
scheds=()
for i in $(seq 1 "$functions"); do
  scheds+=("tick-$i:${periods[$(((i - 1) % ${#periods[@]}))]}")
done
rate=$(printf '%s\n' "${scheds[@]}" | awk -F: '{ r += 1 / $2 } END { print r }')
window=$(awk -v n="$runs" -v r="$rate" -v m="$phase_max" 'BEGIN { w = int(n / r) + 1; if (n / r > w - 1) w++; print (w > m ? m : w) }')
fn_json() { # FN PERIOD [cron]: the deployment
  local annotations=""
  [[ ${3:-} == cron ]] && annotations=",\"annotations\":{\"topic\":\"cron-function\",\"schedule\":\"@every ${2}s\"}"
  echo "{\"service\":\"$1\",\"image\":\"faasd.bench/tick:1\",\"envProcess\":\"sh /run.sh\",\"envVars\":{\"combine_output\":\"false\"}$annotations}"
}
deploy_tick() { deploy POST "$(fn_json "${1%:*}" "${1#*:}")"; }
update_tick() { deploy PUT "$(fn_json "${1%:*}" "${1#*:}" cron)"; }
say "cron: deploying $functions functions"
for s in "${scheds[@]}"; do deployed+=("${s%:*}"); done
t0=$(now)
printf '%s\n' "${scheds[@]}" | in_parallel 4 deploy_tick || die "a deploy failed"
say "cron: deployed in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
for s in "${scheds[@]}"; do wait_for 30 answers "${s%:*}" || die "${s%:*} does not answer"; done

# phase_start: the next whole second at least $1 seconds from now.
phase_start() { python3 -c "import math, time; print(math.ceil(time.time() + $1))"; }
declare -A start
for mode in sync async; do
  start[$mode]=$(phase_start 1)
  say "cron: timer $mode, $window s from $(date -u -d "@${start[$mode]}" +%T)"
  timeout $((window + step_timeout)) python3 "$helper" timer "$gw" "$(gw_auth)" "$mode" \
    "${start[$mode]}" "$window" "${scheds[@]}" >"$tmp/timer-$mode" || die "the $mode timer failed"
  say "cron: timer $mode: $(cat "$tmp/timer-$mode")"
done

fetch_logs() { # FILE: every function's log lines (JSON lines), before an update replaces them
  : >"$1"
  for s in "${scheds[@]}"; do
    curl -fsS -u "$(gw_auth)" --max-time 30 "$gw/system/logs?name=${s%:*}&tail=-1&follow=false" >>"$1" ||
      say "cron: no logs of ${s%:*}"
  done
}
sleep 1
fetch_logs "$tmp/logs-timer"
say "cron: updating the functions with their schedules"
t0=$(now)
printf '%s\n' "${scheds[@]}" | in_parallel 4 update_tick || die "an update failed"
say "cron: updated in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
start[cron]=$(phase_start "$warmup")
end=$((start[cron] + window))
say "cron: faasd cron, $window s from $(date -u -d "@${start[cron]}" +%T)"
sleep "$(python3 -c "import time; print(max(0, $end + 2 - time.time()))")"
curl -fsS -u "$(gw_auth)" "$gw/system/triggers" >"$tmp/triggers.json"
# The runs of the window have logged, and the queue lists them.
sleep 1
curl -fsS -u "$(gw_auth)" "$gw/system/async-requests?limit=10000" >"$tmp/requests.json"
fetch_logs "$tmp/logs-cron"
for s in "${scheds[@]}"; do remove_fn "${s%:*}"; done
deployed=()
python3 - "$tmp/triggers.json" >&2 <<'PY'
import json, sys
t = [x for x in json.load(open(sys.argv[1])) if x.get("kind") == "cron"]
print("# cron: %d triggers: runs %d skipped %d missed %d failed %d" % (
    len(t), sum(x.get("runs", 0) for x in t), sum(x.get("skipped", 0) for x in t),
    sum(x.get("missed", 0) for x in t), sum(x.get("failed", 0) for x in t)))
PY

declare -A stat
for mode in sync async cron; do
  connector=bench-$mode
  [[ $mode == cron ]] && connector=cron-connector
  logs=$tmp/logs-timer
  [[ $mode == cron ]] && logs=$tmp/logs-cron
  stat[$mode]=$(python3 "$helper" jitter "$logs" "$tmp/requests.json" "$connector" \
    "${start[$mode]}" "$window" "${scheds[@]}")
  say "cron: $mode: ${stat[$mode]}"
done
field() { # MODE NAME: a field of stat[MODE] (helper.py jitter's line)
  local -a w
  read -r -a w <<<"${stat[$1]}"
  case $2 in
    runs) echo "${w[1]}" ;; expected) echo "${w[3]}" ;; dup) echo "${w[5]}" ;;
    p50) echo "${w[6]}" ;; p99) echo "${w[7]}" ;; max) echo "${w[8]}" ;;
    enq_runs) echo "${w[10]}" ;; enq_p50) echo "${w[11]}" ;; enq_p99) echo "${w[12]}" ;; enq_max) echo "${w[13]}" ;;
    spread) echo "${w[15]}" ;;
  esac
}

# ================================================================ 2. MQTT
declare -A rate_of accept_of
if [[ $mqtt == yes ]]; then
  say "mqtt: deploying the function (topic bench/#)"
  deployed+=(mq)
  deploy POST '{"service":"mq","image":"faasd.bench/echo:1","envProcess":"cat","annotations":{"topic":"bench/#"}}' ||
    die "the MQTT function did not deploy"
  wait_for 30 answers mq || die "mq does not answer"
  subscribed() {
    curl -fsS -u "$(gw_auth)" "$gw/system/triggers" | python3 -c '
import json, sys
sys.exit(0 if any(t["function"] == "mq" and t.get("state") == "subscribed" for t in json.load(sys.stdin)) else 1)'
  }
  if ! wait_for 30 subscribed; then
    mqtt="n/a: the daemon never subscribed (GET /system/triggers)"
  else
    # One message first: it arrives at all.
    before=$(python3 "$helper" count "$gw" mq)
    mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -t bench/probe -m probe
    if ! python3 "$helper" wait "$gw" mq $((before + 1)) 30 >/dev/null; then
      mqtt="n/a: a published message never reached the function"
    fi
  fi
fi
if [[ $mqtt == yes ]]; then
  seq 1 "$messages" | sed 's/^/m/' >"$tmp/messages"
  # measure PATH: one run of MESSAGES through PATH (mqtt, async, sync);
  # records messages per second, or nothing when it did not finish.
  measure() {
    local path=$1 before t0 t1 out="" accepted="" poller runs_before
    before=$(python3 "$helper" count "$gw" mq)
    case $path in
      mqtt)
        # Accepted: the trigger's runs (each committed to the queue).
        runs_before=$(python3 "$helper" runs "$gw" "$(gw_auth)" mq)
        python3 "$helper" wait-runs "$gw" "$(gw_auth)" mq $((runs_before + messages)) "$step_timeout" >"$tmp/accepted" &
        poller=$!
        t0=$(now)
        timeout "$step_timeout" mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -t bench/load -l <"$tmp/messages" ||
          say "mqtt: mosquitto_pub failed or timed out"
        if wait "$poller"; then
          accepted=$(cat "$tmp/accepted")
        else
          say "mqtt: the trigger's runs grew by only $(($(cat "$tmp/accepted") - runs_before)) of $messages"
        fi ;;
      async)
        t0=$(now)
        out=$(timeout "$step_timeout" python3 "$helper" send "$gw/async-function/mq" "" "$messages" "$concurrency") ||
          say "async: the sender failed"
        accepted=$(now) ;;
      sync)
        t0=$(now)
        out=$(timeout "$step_timeout" python3 "$helper" send "$gw/function/mq" "" "$messages" "$concurrency") ||
          say "sync: the sender failed" ;;
    esac
    [[ -z $out || $out == *"failed 0" ]] || say "$path: $out"
    if [[ -n $accepted ]]; then
      awk -v n="$messages" -v a="$t0" -v b="$accepted" 'BEGIN { printf "%.0f\n", n / (b - a) }' >>"$tmp/accept-$path"
    fi
    if t1=$(python3 "$helper" wait "$gw" mq $((before + messages)) "$step_timeout"); then
      local r
      r=$(awk -v n="$messages" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
      echo "$r" >>"$tmp/rate-$path"
      say "mqtt round $round: $path $r/s ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s)"
    else
      say "mqtt round $round: $path: only $((t1 - before)) of $messages handled in $step_timeout s"
    fi
  }
  paths=(mqtt async sync)
  for round in $(seq 1 "$rounds"); do
    for k in 0 1 2; do
      measure "${paths[$(((round - 1 + k) % 3))]}"
    done
  done
  for p in mqtt async sync; do
    if [[ -f $tmp/rate-$p ]]; then rate_of[$p]=$(median <"$tmp/rate-$p"); fi
    if [[ -f $tmp/accept-$p ]]; then accept_of[$p]=$(median <"$tmp/accept-$p"); fi
  done
  say "mqtt: broker messages to the daemon: $(curl -fsS "$gw/metrics" | grep -m1 '^faasd_trigger_mqtt_messages_total' || echo none)"
fi
say "queue at the end: $(curl -fsS -u "$(gw_auth)" "$gw/system/async-requests?limit=10000" | python3 -c '
import collections, json, sys
c = collections.Counter(r["status"] for r in json.load(sys.stdin))
print(", ".join("%s %d" % kv for kv in sorted(c.items())) or "empty")' || echo "not read")"
say "load after: $(cat /proc/loadavg)"
say "daemon log: $(grep -ciE 'warn|error' "$tmp/faasd.log" || true) lines with a warning or an error"
grep -iE 'warn|error' "$tmp/faasd.log" | sort | uniq -c | sort -rn | head -5 | sed 's/^/#   /' >&2 || true

# ================================================================= figures
echo
echo "cron jitter, ms: $functions functions (@every 1s/1s/2s/1s/3s), each phase the same $window s window"
printf '%-36s %6s %8s %5s %8s %8s %8s %8s\n' "" runs expected dup p50 p99 max spread
row() { printf '%-36s %6s %8s %5s %8s %8s %8s\n' "$1" "$(field "$2" runs)" "$(field "$2" expected)" \
  "$(field "$2" dup)" "$(field "$2" p50)" "$(field "$2" p99)" "$(field "$2" max)"; }
row "faasd cron (queue), run - scheduled" cron
row "timer -> /async-function/, same" async
row "timer -> /function/ (sync), same" sync
erow() { printf '%-36s %6s %8s %5s %8s %8s %8s %8s\n' "$1" "$(field "$2" enq_runs)" "" "" \
  "$(field "$2" enq_p50)" "$(field "$2" enq_p99)" "$(field "$2" enq_max)" "$(field "$2" spread)"; }
erow "faasd cron, enqueuedAt - scheduled" cron
erow "timer async, enqueuedAt - scheduled" async
echo "(spread: median over the scheduled seconds of first to last enqueuedAt of the runs due then)"
echo "ratio faasd cron / timer async: p50 $(ratio "$(field cron p50)" "$(field async p50)")," \
  "p99 $(ratio "$(field cron p99)" "$(field async p99)")"
echo "ratio faasd cron / timer sync:  p50 $(ratio "$(field cron p50)" "$(field sync p50)")," \
  "p99 $(ratio "$(field cron p99)" "$(field sync p99)")"
echo
if [[ $mqtt == yes ]]; then
  echo "MQTT delivery, $messages messages per path, medians of $rounds rounds, messages/s"
  printf '%-44s %10s %10s\n' "" "handled" "accepted"
  printf '%-44s %10s %10s\n' "mosquitto_pub -q 1 -l -> topic bench/#" "${rate_of[mqtt]:-n/a}" "${accept_of[mqtt]:-n/a}"
  printf '%-44s %10s %10s\n' "POST /async-function/ ($concurrency connections)" "${rate_of[async]:-n/a}" "${accept_of[async]:-n/a}"
  printf '%-44s %10s %10s\n' "POST /function/ sync ($concurrency connections)" "${rate_of[sync]:-n/a}" ""
  echo "(handled: until the function answered all; accepted: until all were committed to the queue)"
  echo "ratio mqtt / async-function: handled $(ratio "${rate_of[mqtt]:-}" "${rate_of[async]:-}")," \
    "accepted $(ratio "${accept_of[mqtt]:-}" "${accept_of[async]:-}")"
  echo "ratio mqtt / sync function:  $(ratio "${rate_of[mqtt]:-}" "${rate_of[sync]:-}")"
else
  echo "MQTT delivery: $mqtt"
fi
