#!/bin/sh
# Async queue: durable accepts per second and drain rate, on loopback.
#
# Each round: (1) the floor without grouping, one transaction per insert
# (bench_queue commits); (2) wrk (2 threads, 50 connections, POST with an
# X-Callback-Url) against /async-function/echo with the workers off, so
# every 202 is one request committed to SQLite (synchronous=FULL), and the
# same with synchronous=NORMAL; (3) a restart with the workers on, timing
# until every accepted request was invoked through the gateway's proxy and
# called back; (4) the sync invoke rate through the same gateway, the
# ceiling for draining. Prints each round and the medians.
#
#   bench/queue/run.sh [BUILD_DIR]   (env: DURATION=5s RUNS=3)
set -eu

build=${1:-build}
bin="$build/test/unit/queue/bench_queue"
upbin="$build/test/unit/gateway/bench_gateway"
duration=${DURATION:-5s}
runs=${RUNS:-3}
tmp=$(mktemp -d)
up_pid=""
gw_pid=""

cleanup() {
    [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
    [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if [ ! -x "$bin" ] || [ ! -x "$upbin" ]; then
    echo "build first: ninja -C $build test/unit/queue/bench_queue test/unit/gateway/bench_gateway" >&2
    exit 1
fi
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 1; }

# Starts "$@" in the background, waits for its "port N" line; sets $port.
start() {
    out="$tmp/$1.out"
    rm -f "$out"
    shift
    "$@" >"$out" &
    started_pid=$!
    i=0
    while ! grep -q '^port ' "$out" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -gt 200 ] && { echo "no port from $*" >&2; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/^port //p' "$out")
}

stop_gateway() {
    kill "$gw_pid"
    wait "$gw_pid" 2>/dev/null || true
    gw_pid=""
}

start upstream "$upbin" upstream
up_pid=$started_pid
up_port=$port
cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "hello queue"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["X-Callback-Url"] = "http://127.0.0.1:$up_port/cb"
LUA

# wrk URL [script] -> "req_per_s non_2xx"
measure() {
    if [ $# -gt 1 ]; then
        timeout 60 wrk -t2 -c50 -d"$duration" -s "$2" "$1" >"$tmp/wrk.out"
    else
        timeout 60 wrk -t2 -c50 -d"$duration" "$1" >"$tmp/wrk.out"
    fi
    awk '/Requests\/sec:/ { rps = $2 } /Non-2xx/ { bad = $NF }
         /requests in/ { total = $1 }
         END { printf "%.0f %d %d\n", rps, bad, total }' "$tmp/wrk.out"
}

metric() { curl -fsS "http://127.0.0.1:$1/metrics/async" | awk -v m="$2" '$1 == m { print $2 }'; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$tmp/raw"; : >"$tmp/full"; : >"$tmp/normal"; : >"$tmp/drain"; : >"$tmp/sync"
n=1
while [ "$n" -le "$runs" ]; do
    raw=$("$bin" commits "$tmp/raw-$n.db" full 300 | tr -d '/s')

    start gw "$bin" gateway "$up_port" "$tmp/normal-$n.db" normal no-workers
    gw_pid=$started_pid
    measure "http://127.0.0.1:$port/async-function/echo" "$tmp/post.lua" >"$tmp/m"
    read -r normal _ _ <"$tmp/m"
    stop_gateway

    start gw "$bin" gateway "$up_port" "$tmp/q-$n.db" full no-workers
    gw_pid=$started_pid
    measure "http://127.0.0.1:$port/async-function/echo" "$tmp/post.lua" >"$tmp/m"
    read -r full bad _ <"$tmp/m"
    accepted=$(metric "$port" faasd_queue_stored)
    stop_gateway
    [ "$bad" -eq 0 ] || echo "round $n: $bad answers were not 202" >&2

    # Restart with workers: every accepted request is replayed, invoked
    # through the proxy and called back.
    t0=$(date +%s.%N)
    start gw "$bin" gateway "$up_port" "$tmp/q-$n.db" full workers
    gw_pid=$started_pid
    i=0
    while :; do
        done_n=$(metric "$port" faasd_queue_completed_total)
        [ "$done_n" -ge "$accepted" ] && break
        i=$((i + 1))
        [ "$i" -gt 1200 ] && { echo "drain did not finish in 120 s ($done_n of $accepted)" >&2; exit 1; }
        sleep 0.1
    done
    t1=$(date +%s.%N)
    drain=$(awk -v n="$accepted" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
    measure "http://127.0.0.1:$port/function/echo" >"$tmp/m"
    read -r sync _ _ <"$tmp/m"
    stop_gateway

    echo "$raw" >>"$tmp/raw"; echo "$full" >>"$tmp/full"; echo "$normal" >>"$tmp/normal"
    echo "$drain" >>"$tmp/drain"; echo "$sync" >>"$tmp/sync"
    echo "round $n: accepts/s full $full, normal $normal, one-commit-each $raw |" \
        "drained $accepted in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
        "= $drain/s | sync invoke $sync/s"
    rm -f "$tmp"/*.db*
    n=$((n + 1))
done

raw=$(median <"$tmp/raw"); full=$(median <"$tmp/full"); normal=$(median <"$tmp/normal")
drain=$(median <"$tmp/drain"); sync=$(median <"$tmp/sync")
echo
echo "medians of $runs rounds, wrk -t2 -c50 -d$duration"
printf '%-44s %10s\n' "durable accepts/s (synchronous=FULL, grouped)" "$full"
printf '%-44s %10s\n' "accepts/s (synchronous=NORMAL, grouped)" "$normal"
printf '%-44s %10s\n' "one transaction per request (FULL)" "$raw"
printf '%-44s %10s\n' "drain/s (invoke via proxy + callback)" "$drain"
printf '%-44s %10s\n' "sync invoke via the gateway req/s" "$sync"
awk -v f="$full" -v r="$raw" -v d="$drain" -v s="$sync" 'BEGIN {
    printf "ratio grouped / one-commit-each: %.1f\n", f / r
    printf "ratio drain / sync invoke: %.2f\n", d / s }'
