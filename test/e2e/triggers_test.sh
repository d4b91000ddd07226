#!/usr/bin/env bash
# End to end: function triggers on a real daemon. Cron: an `@every 2s`
# function runs on time through the queue; a slow one with overlap `skip` never
# runs twice at once; runs missed while the daemon was stopped are caught up
# per policy; an update keeps the schedule, a scale to zero is woken, a
# removal stops it at once. MQTT: a message published to a real mosquitto
# reaches its function, the answer goes to the reply topic, and QoS-1
# messages published while the daemon is killed -9 all arrive after the
# restart (counted by payload id). Wrong trigger annotations are 400 and
# deploy nothing.
#
# Usage: triggers_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 mosquitto_pub mosquitto_sub; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done
[[ -x /usr/sbin/mosquitto ]] || { echo "SKIP: needs mosquitto"; exit 77; }

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
export FAASD_CNI_BRIDGE=faasdtrig0
export FAASD_CNI_SUBNET=10.195.0.0/24
export FAASD_TRIGGER_NAMESPACES=openfaas-fn
export HOME=$tmp/home
mkdir -p "$HOME"

# A broker of its own on a free loopback port, its sessions kept on disk.
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/mosquitto"
cat >"$tmp/mosquitto/mosquitto.conf" <<CONF
listener $mport 127.0.0.1
allow_anonymous true
user root
persistence true
persistence_location $tmp/mosquitto/
log_dest file $tmp/mosquitto/log
CONF
/usr/sbin/mosquitto -c "$tmp/mosquitto/mosquitto.conf" &
broker_pid=$!
sub_pid=
triggers_cleanup() {
  [[ -n $sub_pid ]] && kill "$sub_pid" 2>/dev/null
  kill "$broker_pid" 2>/dev/null
  wait "$broker_pid" 2>/dev/null
  ip link del faasdtrig0 2>/dev/null
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -e 10.195.0 | sed 's/^-A/-D/' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  done
}
extra_cleanup=triggers_cleanup
export FAASD_MQTT_BROKER=mqtt://127.0.0.1:$mport
export FAASD_MQTT_CLIENT_ID=faasd-e2e

check "faasd up starts with a broker" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
auth=(-u "admin:$pass")

# Images: echo (cat), and one that fails when two runs overlap.
build_image faasd.test/echo:1
check "the echo image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar"
mkdir -p "$tmp/slow/rootfs"
cat >"$tmp/slow/rootfs/overlap.sh" <<'SH'
mkdir /tmp/running 2>/dev/null || { echo "two runs at once"; exit 1; }
sleep 3
rmdir /tmp/running
echo done
SH
build_image faasd.test/slow:1 "$tmp/slow" sh mkdir rmdir sleep cat
check "the slow image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$tmp/slow/image.tar"

status() { curl -s -o "$tmp/answer" -w '%{http_code}' "${auth[@]}" "$@"; }
deploy() { # method, JSON
  local code
  code=$(status -X "$1" -d "$2" "$gw/system/functions")
  [[ $code == 200 || $code == 202 ]] || { echo "deploy answered $code: $(cat "$tmp/answer")"; return 1; }
}
# refused CODE TEXT JSON: the deploy is answered CODE, naming TEXT.
refused() {
  local code
  code=$(status -X POST -d "$3" "$gw/system/functions")
  if [[ $code != "$1" ]] || ! grep -qF -- "$2" "$tmp/answer"; then
    echo "answered $code: $(cat "$tmp/answer")"
    return 1
  fi
}
# trigger FUNCTION FIELD: the field of the function's first trigger.
trigger() {
  curl -fsS "${auth[@]}" "$gw/system/triggers" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["function"] == sys.argv[1]:
        print(t[sys.argv[2]]); break' "$1" "$2"
}
# requests FUNCTION [STATUS]: the function's stored async requests, one
# "callId enqueuedAt status" per line, oldest first.
requests() {
  curl -fsS "${auth[@]}" "$gw/system/async-requests?limit=10000${2:+&status=$2}" | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["function"] == sys.argv[1]]
for r in sorted(rows, key=lambda r: r["enqueuedAt"]):
    print(r["callId"], r["enqueuedAt"], r["status"])' "$1"
}
runs_at_least() { [[ $(trigger "$1" runs 2>/dev/null) -ge $2 ]]; }

# --- wrong annotations: 400 naming the annotation, nothing deployed
cron='"topic":"cron-function"'
check "a schedule that does not parse is 400" refused 400 'schedule: schedule "*/0 * * * *": minute: step 0' \
  "{\"service\":\"bad\",\"image\":\"faasd.test/echo:1\",\"annotations\":{$cron,\"schedule\":\"*/0 * * * *\"}}"
check "an unknown time zone is 400" refused 400 'com.openfaas.schedule.timezone: unknown time zone "Mars/Olympus"' \
  "{\"service\":\"bad\",\"image\":\"faasd.test/echo:1\",\"annotations\":{$cron,\"schedule\":\"@daily\",\"com.openfaas.schedule.timezone\":\"Mars/Olympus\"}}"
check "a topic filter that is not valid is 400" refused 400 'topic: "a/#/b"' \
  '{"service":"bad","image":"faasd.test/echo:1","annotations":{"topic":"a/#/b"}}'
check "a bad overlap rule is 400" refused 400 'com.openfaas.schedule.overlap' \
  "{\"service\":\"bad\",\"image\":\"faasd.test/echo:1\",\"annotations\":{$cron,\"schedule\":\"@daily\",\"com.openfaas.schedule.overlap\":\"never\"}}"
status -X POST -d '{"name":"other"}' "$gw/system/namespace/other" >/dev/null
check "a trigger in a namespace without triggers is 400" refused 400 'triggers are not enabled in namespace other' \
  "{\"service\":\"bad\",\"namespace\":\"other\",\"image\":\"faasd.test/echo:1\",\"annotations\":{$cron,\"schedule\":\"@daily\"}}"
check "nothing was deployed" test "$(status "$gw/system/function/bad")" = 404
check "nothing was deployed in the other namespace" \
  test "$(status "$gw/system/function/bad?namespace=other")" = 404

# --- @every 2s through the queue
check "a cron function deploys" deploy POST \
  "{\"service\":\"tick\",\"image\":\"faasd.test/echo:1\",\"envProcess\":\"cat\",\"annotations\":{$cron,\"schedule\":\"@every 2s\",\"com.openfaas.schedule.body\":\"tock\"}}"
check "it is listed in /system/triggers" test "$(trigger tick trigger)" = "@every 2s"
check "it runs five times" wait_for 30 runs_at_least tick 5
requests tick >"$tmp/tick"
check "each run is a request in the queue" test "$(wc -l <"$tmp/tick")" -ge 5
check "the last run's call id is in the queue" grep -q "^$(trigger tick lastCallId) " "$tmp/tick"
# Runs are 2 s apart (within 0.5 s), counted from when the queue took them.
check "runs are 2 s apart" python3 - "$tmp/tick" <<'PY'
import datetime, sys
times = [datetime.datetime.fromisoformat(l.split()[1].replace("Z", "+00:00")) for l in open(sys.argv[1])]
gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
print("gaps:", gaps)
sys.exit(0 if gaps and all(abs(g - 2) <= 0.5 for g in gaps) else 1)
PY
check "the runs complete" wait_for 30 bash -c "[[ \$(grep -c completed <<<\"\$(curl -fsS -u 'admin:$pass' '$gw/system/async-requests?status=completed&limit=10000')\") -ge 1 ]]"
check "/metrics counts the runs" bash -c \
  "curl -fsS '$gw/metrics' | grep -q '^faasd_trigger_runs_total{kind=\"cron\",function=\"tick.openfaas-fn\",trigger=\"@every 2s\"} [1-9]'"
check "faasd triggers list prints it" bash -c \
  "echo '$pass' | '$faasd' login -g '$gw' -u admin --password-stdin >/dev/null &&
   '$faasd' triggers list -g '$gw' | grep -q 'tick.openfaas-fn  *cron  *@every 2s'"

# --- sync mode: a direct call, not a queue request
check "a sync cron function deploys" deploy POST \
  "{\"service\":\"direct\",\"image\":\"faasd.test/echo:1\",\"envProcess\":\"cat\",\"annotations\":{$cron,\"schedule\":\"@every 1s\",\"com.openfaas.trigger.mode\":\"sync\"}}"
check "it runs twice" wait_for 30 runs_at_least direct 2
check "its runs complete" wait_for 10 bash -c "[[ \$(curl -fsS -u 'admin:$pass' '$gw/system/triggers' | python3 -c 'import json,sys; print(next(t[\"lastStatus\"] for t in json.load(sys.stdin) if t[\"function\"] == \"direct\"))') == 'completed (200)' ]]"
check "none of them went through the queue" test -z "$(requests direct)"
check "the sync function is removed" test "$(status -X DELETE -d '{"functionName":"direct"}' "$gw/system/functions")" = 202

# --- overlap skip: a 3 s function every second never runs twice at once
check "a slow cron function deploys" deploy POST \
  "{\"service\":\"slow\",\"image\":\"faasd.test/slow:1\",\"envProcess\":\"sh /overlap.sh\",\"labels\":{\"faasd.queue.concurrency\":\"4\"},\"annotations\":{$cron,\"schedule\":\"@every 1s\"}}"
check "its runs are skipped while one runs" wait_for 40 bash -c \
  "[[ \$(curl -fsS -u 'admin:$pass' '$gw/system/triggers' | python3 -c 'import json,sys; print(next(t[\"skipped\"] for t in json.load(sys.stdin) if t[\"function\"] == \"slow\"))') -ge 4 ]]"
check "it ran more than once" wait_for 30 runs_at_least slow 2
check "no run of it failed (none overlapped)" test "$(trigger slow failed)" = 0
check "the queue holds no failed run of it" test -z "$(requests slow failed; requests slow retrying)"

# --- update keeps the schedule; a new schedule replaces it
runs=$(trigger tick runs)
check "an update with the same schedule deploys" deploy PUT \
  "{\"service\":\"tick\",\"image\":\"faasd.test/echo:1\",\"envProcess\":\"cat\",\"envVars\":{\"v\":\"2\"},\"annotations\":{$cron,\"schedule\":\"@every 2s\"}}"
check "the trigger kept its runs" runs_at_least tick "$runs"
check "it goes on running" wait_for 20 runs_at_least tick $((runs + 2))

# --- scale to zero: the next run wakes it
check "tick scales to zero" test "$(status -X POST -d '{"serviceName":"tick","replicas":0}' "$gw/system/scale-function/tick")" = 202
woke() { [[ $(curl -fsS "${auth[@]}" "$gw/system/function/tick" | python3 -c 'import json,sys; print(json.load(sys.stdin)["availableReplicas"])') -ge 1 ]]; }
check "a run wakes it" wait_for 30 woke
after=$(trigger tick runs)
check "its runs go on completing" wait_for 30 bash -c "[[ \$(curl -fsS -u 'admin:$pass' '$gw/system/triggers' | python3 -c 'import json,sys; t=next(t for t in json.load(sys.stdin) if t[\"function\"]==\"tick\"); print(int(t[\"runs\"] > $after and t[\"lastStatus\"].startswith(\"completed\")))') == 1 ]]"

# --- missed runs: stopped for 7 s, then caught up per policy
for policy in one none all; do
  check "missed=$policy deploys" deploy POST \
    "{\"service\":\"missed-$policy\",\"image\":\"faasd.test/echo:1\",\"envProcess\":\"cat\",\"annotations\":{$cron,\"schedule\":\"@every 2s\",\"com.openfaas.schedule.missed\":\"$policy\"}}"
done
for policy in one none all; do
  check "missed-$policy has run" wait_for 20 runs_at_least "missed-$policy" 1
done
stopped=$(date +%s)
stop_daemon
sleep 7 # the downtime whose runs are missed: three or four of each
check "faasd up starts again" start_daemon
restarted=$(date +%s)
# caught FUNCTION: how many of its runs are due between the stop and the end
# of the restart (the caught up ones, and any regular run of the new start).
caught() {
  curl -fsS "${auth[@]}" "$gw/system/triggers" | python3 -c '
import datetime, json, sys
t = next(t for t in json.load(sys.stdin) if t["function"] == sys.argv[1])
due = [datetime.datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() for r in t["recentRuns"]]
print(sum(1 for d in due if int(sys.argv[2]) < d <= int(sys.argv[3])))' "$1" "$stopped" "$restarted"
}
caught_at_least() { [[ $(caught "$1") -ge $2 ]]; }
# decided FUNCTION POLICY: the restart's catch-up decision, as logged.
decided() { grep -qE "$1.openfaas-fn: ([0-9]+) runs missed while stopped; catching up $2" "$tmp/faasd.log"; }
check "missed=all decides to catch up every missed run" wait_for 30 decided missed-all '[3-9] \(all\)'
check "missed=all catches them up" wait_for 30 caught_at_least missed-all 3
check "missed=all counts none missed" test "$(trigger missed-all missed)" = 0
check "missed=one decides to catch up one" wait_for 30 decided missed-one '1 \(one\)'
check "missed=one catches it up" wait_for 30 caught_at_least missed-one 1
check "missed=one counts the others missed" test "$(trigger missed-one missed)" -ge 2
check "missed=none decides to catch up none" wait_for 30 decided missed-none '0 \(none\)'
check "missed=none counts all missed" test "$(trigger missed-none missed)" -ge 3

# --- removal stops the schedule at once
check "tick is removed" test "$(status -X DELETE -d '{"functionName":"tick"}' "$gw/system/functions")" = 202
check "its trigger is gone at once" test -z "$(trigger tick runs)"
count=$(requests tick | wc -l)
base=$(trigger missed-one runs)
check "two more runs of another schedule pass" wait_for 20 runs_at_least missed-one $((base + 2))
check "no run of the removed function started" test "$(requests tick | wc -l)" -eq "$count"

# --- MQTT: a message reaches its function, the answer the reply topic
check "an MQTT function deploys" deploy POST \
  '{"service":"mq","image":"faasd.test/echo:1","envProcess":"cat","annotations":{"topic":"sensors/+/temp","com.openfaas.mqtt.reply-topic":"replies/mq"}}'
check "its topic is listed" test "$(trigger mq trigger)" = "sensors/+/temp"
mosquitto_sub -h 127.0.0.1 -p "$mport" -q 1 -t replies/mq >"$tmp/replies" &
sub_pid=$!
subscribed() { [[ $(trigger mq state) == subscribed ]]; }
check "the daemon subscribed" wait_for 20 subscribed
replied() { grep -qx "$1" "$tmp/replies"; }
publish() { mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -t "$1" -m "$2"; }
for _ in $(seq 1 50); do # the reply subscriber may start after the first message
  publish sensors/kitchen/temp first
  wait_for 1 replied first && break
done
check "a published message reaches the function and its answer the reply topic" replied first

# --- kill -9: QoS-1 messages published meanwhile all arrive
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
for i in $(seq 1 50); do echo "msg-$i"; done >"$tmp/sent"
check "50 messages published while the daemon is down" \
  mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -t sensors/cellar/temp -l <"$tmp/sent"
check "faasd up starts after kill -9" start_daemon
all_replied() { [[ $(grep -c '^msg-' "$tmp/replies") -ge 50 ]] && [[ $(grep '^msg-' "$tmp/replies" | sort -u | wc -l) -eq 50 ]]; }
wait_for 90 all_replied
missing=$(sort -u "$tmp/sent" | comm -23 - <(sort -u "$tmp/replies") | wc -l)
check "every message published meanwhile arrived (missing: $missing)" test "$missing" -eq 0

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
