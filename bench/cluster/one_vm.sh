#!/usr/bin/env bash
# One VM, two builds of faasd in the same run (e.g. before and after a
# change that must leave one VM alone, such as cluster mode): each round
# starts each binary's `faasd up` on a private state, containerd, bridge
# and port (test/e2e/lib.sh), in turns (each goes first every other round),
# and measures
#   start-up   `faasd up` → /healthz answers (its own containerd started),
#   deploy     POST /system/functions → 202 (first replica ready),
#   invoke     wrk (2 threads, 50 connections) on the function,
#   RSS        the daemon's resident memory after the load.
# Prints each round, the medians and the ratios after/before.
#
#   bench/cluster/one_vm.sh BEFORE_FAASD AFTER_FAASD FWATCHDOG
#   (env: DURATION=5s RUNS=5)
set -uo pipefail

before=$(realpath "$1")
after=$(realpath "$2")
fwatchdog=$(realpath "$3")
duration=${DURATION:-5s}
runs=${RUNS:-5}
[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

here=$(dirname "$(realpath "$0")")
faasd=$after
e2e_bridge=faasdbench0
e2e_subnet=10.187.0.0/24
# shellcheck source-path=SCRIPTDIR source=../../test/e2e/lib.sh
source "$here/../../test/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$here/../lib.sh"
build_image faasd.test/echo:1 "$tmp/img" >/dev/null

now() { date +%s.%N; }
ms_since() { python3 -c "import time; print(round((time.time() - $1) * 1000))"; }

# round WHICH BINARY: one start, deploy, load and stop; appends to $tmp/WHICH.*
round() {
  local which=$1 bin=$2 t0 auth
  faasd=$bin
  rm -rf "$FAASD_STATE_DIR" "$FAASD_PROVIDER_STATE_DIR"
  t0=$(now)
  start_daemon || { echo "$which did not start" >&2; return 1; }
  ms_since "$t0" >>"$tmp/$which.start"
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar" >/dev/null
  auth="admin:$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")"
  t0=$(now)
  [[ $(curl -s -m 60 -o /dev/null -w '%{http_code}' -u "$auth" \
    -d '{"service":"echo","image":"faasd.test/echo:1"}' "$gw/system/functions") == 202 ]] ||
    { echo "$which: the deploy failed" >&2; return 1; }
  ms_since "$t0" >>"$tmp/$which.deploy"
  read -r rps _ p99 < <(wrk_measure "$gw/function/echo")
  echo "$rps" >>"$tmp/$which.rps"
  echo "$p99" >>"$tmp/$which.p99"
  { rss_mib "$pid"; echo; } >>"$tmp/$which.rss"
  echo "  $which: start $(tail -1 "$tmp/$which.start") ms, deploy $(tail -1 "$tmp/$which.deploy") ms," \
    "$rps req/s, p99 $p99 ms, RSS $(tail -1 "$tmp/$which.rss") MiB"
  remove_all_functions
  stop_daemon
  pkill -f "$tmp/state/containerd" 2>/dev/null
  wait_for 20 no_containerd
}
no_containerd() { ! pgrep -f "$tmp/state/containerd" >/dev/null; }

for r in $(seq 1 "$runs"); do
  echo "round $r"
  if ((r % 2)); then
    round before "$before" && round after "$after"
  else
    round after "$after" && round before "$before"
  fi || exit 1
done

echo
printf '  %-26s %10s %10s %8s\n' "median of $runs" before after ratio
for m in start deploy rps p99 rss; do
  b=$(median <"$tmp/before.$m")
  a=$(median <"$tmp/after.$m")
  printf '  %-26s %10s %10s %8s\n' "$m" "$b" "$a" "$(python3 -c "print(f'{$a / $b:.2f}')")"
done
