#!/usr/bin/env bash
# What the metrics history costs a real daemon at rest: `faasd up` as the
# e2e tests run it (test/e2e/lib.sh: private containerd, bridge faasde2e0,
# 10.197.0.0/24), FUNCTIONS functions of one replica each, and the CPU time
# faasd and its containerd spend over WINDOW seconds, with the history on
# and then off (the daemon restarted in between; the functions stay),
# ROUNDS times in turn. The sampler lists the functions through the
# provider each second, so containerd's share counts too. Needs root.
#
#   bench/history/daemon.sh FAASD FWATCHDOG   (env: FUNCTIONS=10 WINDOW=20 ROUNDS=3)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
functions=${FUNCTIONS:-10}
window=${WINDOW:-20}
rounds=${ROUNDS:-3}
[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../../test/e2e/lib.sh
source "$(dirname "$0")/../../test/e2e/lib.sh"

# utime + stime of a process, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

start_daemon || exit 1
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
build_image faasd.test/echo:1
ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar" >/dev/null || exit 1
for i in $(seq 1 "$functions"); do
  curl -fsS -o /dev/null -u "admin:$pass" -d "{\"service\":\"idle$i\",\"image\":\"faasd.test/echo:1\"}" \
    "$gw/system/functions" || { echo "deploying idle$i failed" >&2; exit 1; }
done
echo "$functions functions deployed; CPU time of faasd + containerd over ${window} s at rest"

hz=$(getconf CLK_TCK)
: >"$tmp/on"
: >"$tmp/off"
for round in $(seq 1 "$rounds"); do
  for mode in on off; do
    stop_daemon
    if [[ $mode == on ]]; then export FAASD_METRICS_HISTORY=true; else export FAASD_METRICS_HISTORY=false; fi
    start_daemon || exit 1
    # Until every function answers on the API as ready, then a settle second.
    wait_for 60 bash -c "[[ \$(curl -fsS -u admin:$pass $gw/system/functions |
      python3 -c 'import json,sys; print(sum(f[\"availableReplicas\"] for f in json.load(sys.stdin)))') -eq $functions ]]" ||
      { echo "the functions are not ready" >&2; exit 1; }
    sleep 1
    cpid=$(awk '{ print $1 }' "$FAASD_STATE_DIR/containerd/pid" 2>/dev/null)
    a=$(( $(ticks "$pid") + $(ticks "$cpid") ))
    sleep "$window"
    b=$(( $(ticks "$pid") + $(ticks "$cpid") ))
    ms=$(( (b - a) * 1000 / hz ))
    echo "$ms" >>"$tmp/$mode"
    echo "round $round, history $mode: ${ms} ms of CPU in ${window} s"
  done
done
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
on=$(med "$tmp/on")
off=$(med "$tmp/off")
echo "median: history on ${on} ms, off ${off} ms of CPU per ${window} s"
awk -v a="$on" -v b="$off" -v w="$window" 'BEGIN {
  printf "the history costs %.1f ms of CPU per second at rest (%.2f %% of one core)\n", (a - b) / w, (a - b) / w / 10 }'
