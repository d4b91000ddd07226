#!/bin/sh
# Gateway throughput: wrk (2 threads, 50 keep-alive connections, bounded
# duration) against a trivial upstream directly, then through the gateway's
# invoke proxy to the same upstream. Loopback only. Prints each run and the
# medians: req/s, p50, p99, the gateway's RSS and the proxied/direct ratio.
#
#   bench/gateway/run.sh [BUILD_DIR]   (env: DURATION=5s RUNS=3 IO_THREADS=2)
set -eu

build=${1:-build}
bin="$build/test/unit/gateway/bench_gateway"
duration=${DURATION:-5s}
runs=${RUNS:-3}
threads=${IO_THREADS:-2}
tmp=$(mktemp -d)
up_pid=""
gw_pid=""

cleanup() {
    [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
    [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

[ -x "$bin" ] || { echo "build first: ninja -C $build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

# Starts "$@" in the background, waits for its "port N" line; sets $port.
start() {
    out="$tmp/$1.out"
    shift
    "$bin" "$@" >"$out" &
    started_pid=$!
    i=0
    while ! grep -q '^port ' "$out" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -gt 100 ] && { echo "no port from $bin $*" >&2; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/^port //p' "$out")
}

start upstream upstream
up_pid=$started_pid
up_port=$port
start gateway gateway "$up_port" "$threads"
gw_pid=$started_pid
gw_port=$port

# wrk URL -> "req_per_s p50_ms p99_ms"
measure() {
    timeout 60 wrk -t2 -c50 -d"$duration" --latency "$1" >"$tmp/wrk.out"
    awk '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            return v
        }
        /Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$tmp/wrk.out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$tmp/direct"
: >"$tmp/proxied"
n=1
while [ "$n" -le "$runs" ]; do
    d=$(measure "http://127.0.0.1:$up_port/")
    p=$(measure "http://127.0.0.1:$gw_port/function/echo")
    echo "$d" >>"$tmp/direct"
    echo "$p" >>"$tmp/proxied"
    echo "run $n: direct $d | via gateway $p   (req/s p50_ms p99_ms)"
    n=$((n + 1))
done

rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$gw_pid/status")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$gw_pid/status")
col() { awk -v c="$1" '{ print $c }' "$2" | median; }
d_rps=$(col 1 "$tmp/direct"); d_p50=$(col 2 "$tmp/direct"); d_p99=$(col 3 "$tmp/direct")
p_rps=$(col 1 "$tmp/proxied"); p_p50=$(col 2 "$tmp/proxied"); p_p99=$(col 3 "$tmp/proxied")

echo
echo "medians of $runs runs, wrk -t2 -c50 -d$duration, gateway I/O threads: $threads"
printf '%-12s %10s %10s %10s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-12s %10s %10s %10s\n' "direct" "$d_rps" "$d_p50" "$d_p99"
printf '%-12s %10s %10s %10s\n' "via gateway" "$p_rps" "$p_p50" "$p_p99"
echo "gateway RSS: ${rss_kb} kB (peak ${hwm_kb} kB)"
awk -v p="$p_rps" -v d="$d_rps" 'BEGIN { printf "ratio via gateway / direct: %.2f\n", p / d }'
