#!/bin/sh
# Gateway throughput: wrk (2 threads, 50 keep-alive connections, bounded
# duration) against a trivial upstream directly, through one nginx proxy hop
# (Debian's nginx, keep-alive upstream pool, as many workers as the gateway
# has I/O threads) and through the gateway's invoke proxy, interleaved in
# each run (the two proxies take turns going first). Loopback only. Prints
# each run and the medians: req/s, p50, p99, the gateway's RSS and the
# ratios against direct and against nginx.
#
#   bench/gateway/run.sh [BUILD_DIR]   (env: DURATION=5s RUNS=5 IO_THREADS=2)
set -eu

build=${1:-build}
bin="$build/test/unit/gateway/bench_gateway"
duration=${DURATION:-5s}
runs=${RUNS:-5}
threads=${IO_THREADS:-2}
tmp=$(mktemp -d)
up_pid=""
gw_pid=""
ngx_pid=""

cleanup() {
    [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
    [ -n "$ngx_pid" ] && kill "$ngx_pid" 2>/dev/null && wait "$ngx_pid" 2>/dev/null
    [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

[ -x "$bin" ] || { echo "build first: ninja -C $build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }

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

# One nginx hop to the same upstream, configured as a reverse proxy would be
# in front of a function: HTTP/1.1 keep-alive to the upstream, no logging.
ngx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes $threads;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    upstream fn { server 127.0.0.1:$up_port; keepalive 64; }
    server {
        listen 127.0.0.1:$ngx_port;
        location / {
            proxy_pass http://fn;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
"$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
ngx_pid=$!
i=0
until curl -fsS -o /dev/null "http://127.0.0.1:$ngx_port/" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -gt 100 ] && { echo "nginx did not start:" >&2; cat "$tmp/nginx/error.log" >&2; exit 1; }
    sleep 0.05
done

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
: >"$tmp/nginx.txt"
n=1
while [ "$n" -le "$runs" ]; do
    d=$(measure "http://127.0.0.1:$up_port/")
    # The two proxies take turns going first, so neither gains from the order.
    if [ $((n % 2)) -eq 1 ]; then
        x=$(measure "http://127.0.0.1:$ngx_port/function/echo")
        p=$(measure "http://127.0.0.1:$gw_port/function/echo")
    else
        p=$(measure "http://127.0.0.1:$gw_port/function/echo")
        x=$(measure "http://127.0.0.1:$ngx_port/function/echo")
    fi
    echo "$d" >>"$tmp/direct"
    echo "$x" >>"$tmp/nginx.txt"
    echo "$p" >>"$tmp/proxied"
    echo "run $n: direct $d | via nginx $x | via gateway $p   (req/s p50_ms p99_ms)"
    n=$((n + 1))
done

rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$gw_pid/status")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$gw_pid/status")
col() { awk -v c="$1" '{ print $c }' "$2" | median; }
d_rps=$(col 1 "$tmp/direct"); d_p50=$(col 2 "$tmp/direct"); d_p99=$(col 3 "$tmp/direct")
x_rps=$(col 1 "$tmp/nginx.txt"); x_p50=$(col 2 "$tmp/nginx.txt"); x_p99=$(col 3 "$tmp/nginx.txt")
p_rps=$(col 1 "$tmp/proxied"); p_p50=$(col 2 "$tmp/proxied"); p_p99=$(col 3 "$tmp/proxied")

echo
echo "medians of $runs runs, wrk -t2 -c50 -d$duration, gateway I/O threads: $threads"
printf '%-12s %10s %10s %10s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-12s %10s %10s %10s\n' "direct" "$d_rps" "$d_p50" "$d_p99"
printf '%-12s %10s %10s %10s\n' "via nginx" "$x_rps" "$x_p50" "$x_p99"
printf '%-12s %10s %10s %10s\n' "via gateway" "$p_rps" "$p_p50" "$p_p99"
echo "gateway RSS: ${rss_kb} kB (peak ${hwm_kb} kB)"
awk -v p="$p_rps" -v d="$d_rps" -v x="$x_rps" -v pp="$p_p99" -v xp="$x_p99" 'BEGIN {
    printf "ratio via nginx / direct: %.2f\n", x / d
    printf "ratio via gateway / direct: %.2f\n", p / d
    printf "gateway vs nginx: throughput %.2fx, p99 %.2fx (target: >= 1.00x, <= 1.00x)\n", p / x, pp / xp
}'
