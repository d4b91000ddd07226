#!/bin/sh
# What the metrics history costs the invoke path: two gateways in front of
# the same upstream, one keeping the history (the default) and one with
# FAASD_METRICS_HISTORY=false, measured in turns (each goes first in every
# other round) with wrk (2 threads, 50 keep-alive connections, bounded
# duration). Loopback only. Prints each round, the medians, the ratio
# on/off (of the medians, and the median of each round's own ratio), each
# gateway's RSS, and what the history recorded.
#
# The upstream is the trivial "ok" server by default: the gateway's own
# work weighs the most there, so any cost of the history shows the most.
# UPSTREAM=watchdog puts the project's fwatchdog in front of it instead.
#
#   bench/history/run.sh [BUILD_DIR]
#   (env: DURATION=5s RUNS=7 IO_THREADS=2 UPSTREAM=trivial|watchdog)
set -eu

build=${1:-build}
bin="$build/test/unit/gateway/bench_gateway"
duration=${DURATION:-5s}
runs=${RUNS:-7}
threads=${IO_THREADS:-2}
upstream=${UPSTREAM:-trivial}
tmp=$(mktemp -d)
up_pid=""
on_pid=""
off_pid=""

cleanup() {
    for p in $on_pid $off_pid $up_pid; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

[ -x "$bin" ] || { echo "build first: ninja -C $build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

case $upstream in
trivial)
    start_helper upstream "$bin" upstream
    up_pid=$started_pid
    up_port=$port
    ;;
watchdog)
    start_watchdog_upstream "$build"
    up_pid=$started_pid
    up_port=$port
    ;;
*)
    echo "UPSTREAM is trivial or watchdog, not $upstream" >&2
    exit 2
    ;;
esac

FAASD_METRICS_HISTORY=true start_helper on "$bin" gateway "$up_port" "$threads"
on_pid=$started_pid
on_port=$port
FAASD_METRICS_HISTORY=false start_helper off "$bin" gateway "$up_port" "$threads"
off_pid=$started_pid
off_port=$port

# The history answers, and the other gateway has none.
curl -fsS -o /dev/null "http://127.0.0.1:$on_port/system/metrics/history" ||
    { echo "the gateway with the history does not serve it" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$off_port/system/metrics/history")
[ "$code" = 501 ] || { echo "the gateway without the history answers $code" >&2; exit 1; }

: >"$tmp/on"
: >"$tmp/off"
: >"$tmp/ratios"
echo "upstream: $upstream; wrk -t2 -c50 -d$duration per measure; $runs rounds"
printf '%-6s %24s %24s\n' round "history on (req/s p50 p99)" "history off"
n=1
while [ "$n" -le "$runs" ]; do
    if [ $((n % 2)) -eq 1 ]; then
        on=$(wrk_measure "http://127.0.0.1:$on_port/function/echo")
        off=$(wrk_measure "http://127.0.0.1:$off_port/function/echo")
    else
        off=$(wrk_measure "http://127.0.0.1:$off_port/function/echo")
        on=$(wrk_measure "http://127.0.0.1:$on_port/function/echo")
    fi
    echo "$on" >>"$tmp/on"
    echo "$off" >>"$tmp/off"
    # The round's own ratio: the two measures ran back to back, so a slow
    # spell of the machine weighs on both.
    echo "$on $off" | awk '{ print $1 / $4 }' >>"$tmp/ratios"
    printf '%-6s %24s %24s\n' "$n" "$on" "$off"
    n=$((n + 1))
done

col() { awk -v c="$2" '{ print $c }' "$tmp/$1" | median; }
on_rps=$(col on 1)
off_rps=$(col off 1)
echo "median req/s: on $on_rps, off $off_rps"
echo "median p50 ms: on $(col on 2), off $(col off 2); p99 ms: on $(col on 3), off $(col off 3)"
awk -v a="$on_rps" -v b="$off_rps" 'BEGIN {
    printf "ratio of the medians on/off: %.3f (cost %.1f %%)\n", a / b, (1 - a / b) * 100 }'
median <"$tmp/ratios" | awk '{
    printf "median of the rounds'"'"' ratios on/off: %.3f (cost %.1f %%)\n", $1, (1 - $1) * 100 }'
echo "RSS: on $(rss_mib "$on_pid") MiB, off $(rss_mib "$off_pid") MiB"

# What the history holds: the calls of the last 15 minutes, per second.
curl -fsS "http://127.0.0.1:$on_port/system/metrics/history?function=echo&namespace=openfaas-fn" |
    python3 -c 'import json, sys
d = json.load(sys.stdin)
calls = sum(v for v in d["rate"]["2xx"] if v)
seconds = sum(1 for v in d["rate"]["2xx"] if v)
peak = max((v for v in d["latency"]["p99"] if v is not None), default=0)
print(f"history: {calls:.0f} calls recorded over {seconds} s with calls; highest p99 of a second {peak:.2f} ms")
if calls == 0:
    sys.exit("the history recorded no call")'
