#!/bin/sh
# Gateway throughput: wrk (2 threads, 50 keep-alive connections, bounded
# duration) against a function directly, through one nginx proxy hop
# (Debian's nginx, keep-alive upstream pool, as many workers as the gateway
# has I/O threads) and through the gateway's invoke proxy, interleaved in
# each run (the proxies take turns going first). Loopback only. Prints each
# run and the medians: req/s, p50, p99, the gateway's RSS and the ratios
# against direct and against nginx.
#
# The target is the plain nginx hop. A second nginx server, in the same
# workers, also does the per-call work the OpenFaaS contract asks of the
# gateway: X-Forwarded-Host and X-Forwarded-For, a call id and a start time
# on the request, and the call id, start time and duration on the answer.
# It is printed for information: it tells what the contract costs.
#
# The upstream is a function as it runs: the project's fwatchdog (mode=http)
# in front of a trivial function server ("ok"), so "direct" is the
# function's watchdog. UPSTREAM=trivial puts the trivial server there
# alone: a cheaper upstream, so the proxy's own cost weighs more.
#
#   bench/gateway/run.sh [BUILD_DIR]
#   (env: DURATION=5s RUNS=5 IO_THREADS=2 UPSTREAM=watchdog|trivial)
set -eu

build=${1:-build}
bin="$build/test/unit/gateway/bench_gateway"
duration=${DURATION:-5s}
runs=${RUNS:-5}
threads=${IO_THREADS:-2}
upstream=${UPSTREAM:-watchdog}
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

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# Starts the helper in a role, waits for its "port N" line; sets $port.
start() {
    name=$1
    shift
    start_helper "$name" "$bin" "$@"
}

case $upstream in
trivial)
    start upstream upstream
    up_pid=$started_pid
    up_port=$port
    ;;
watchdog)
    start_watchdog_upstream "$build"
    up_pid=$started_pid
    up_port=$port
    ;;
*)
    echo "UPSTREAM is watchdog or trivial, not $upstream" >&2
    exit 2
    ;;
esac
start gateway gateway "$up_port" "$threads"
gw_pid=$started_pid
gw_port=$port

# One nginx hop to the same upstream, configured as a reverse proxy would be
# in front of a function: HTTP/1.1 keep-alive to the upstream, no logging.
# The second server adds the headers the gateway adds (see the top).
ngx_port=$(free_port)
ngh_port=$(free_port)
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
    server {
        listen 127.0.0.1:$ngh_port;
        location / {
            proxy_pass http://fn;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_set_header X-Forwarded-Host \$http_host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Call-Id \$request_id;
            proxy_set_header X-Start-Time \$msec;
            add_header X-Call-Id \$request_id;
            add_header X-Start-Time \$msec;
            add_header X-Duration-Seconds \$upstream_response_time;
        }
    }
}
EOF
"$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
ngx_pid=$!
i=0
until curl -fsS -o /dev/null "http://127.0.0.1:$ngx_port/" 2>/dev/null &&
    curl -fsS -o /dev/null "http://127.0.0.1:$ngh_port/" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -gt 100 ] && { echo "nginx did not start:" >&2; cat "$tmp/nginx/error.log" >&2; exit 1; }
    sleep 0.05
done

measure() { wrk_measure "$1"; }

: >"$tmp/direct"
: >"$tmp/proxied"
: >"$tmp/nginx.txt"
: >"$tmp/nginxh.txt"
n=1
while [ "$n" -le "$runs" ]; do
    d=$(measure "http://127.0.0.1:$up_port/")
    # The three proxies take turns going first, so none gains from the order.
    case $((n % 3)) in
    1)
        x=$(measure "http://127.0.0.1:$ngx_port/function/echo")
        p=$(measure "http://127.0.0.1:$gw_port/function/echo")
        h=$(measure "http://127.0.0.1:$ngh_port/function/echo")
        ;;
    2)
        p=$(measure "http://127.0.0.1:$gw_port/function/echo")
        h=$(measure "http://127.0.0.1:$ngh_port/function/echo")
        x=$(measure "http://127.0.0.1:$ngx_port/function/echo")
        ;;
    *)
        h=$(measure "http://127.0.0.1:$ngh_port/function/echo")
        x=$(measure "http://127.0.0.1:$ngx_port/function/echo")
        p=$(measure "http://127.0.0.1:$gw_port/function/echo")
        ;;
    esac
    echo "$d" >>"$tmp/direct"
    echo "$x" >>"$tmp/nginx.txt"
    echo "$h" >>"$tmp/nginxh.txt"
    echo "$p" >>"$tmp/proxied"
    echo "run $n: direct $d | nginx $x | nginx+contract $h | gateway $p   (req/s p50_ms p99_ms)"
    n=$((n + 1))
done

rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$gw_pid/status")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$gw_pid/status")
col() { awk -v c="$1" '{ print $c }' "$2" | median; }
d_rps=$(col 1 "$tmp/direct"); d_p50=$(col 2 "$tmp/direct"); d_p99=$(col 3 "$tmp/direct")
x_rps=$(col 1 "$tmp/nginx.txt"); x_p50=$(col 2 "$tmp/nginx.txt"); x_p99=$(col 3 "$tmp/nginx.txt")
h_rps=$(col 1 "$tmp/nginxh.txt"); h_p50=$(col 2 "$tmp/nginxh.txt"); h_p99=$(col 3 "$tmp/nginxh.txt")
p_rps=$(col 1 "$tmp/proxied"); p_p50=$(col 2 "$tmp/proxied"); p_p99=$(col 3 "$tmp/proxied")

echo
echo "medians of $runs runs, wrk -t2 -c50 -d$duration, gateway I/O threads: $threads, upstream: $upstream"
printf '%-15s %10s %10s %10s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-15s %10s %10s %10s\n' "direct" "$d_rps" "$d_p50" "$d_p99"
printf '%-15s %10s %10s %10s\n' "via nginx" "$x_rps" "$x_p50" "$x_p99"
printf '%-15s %10s %10s %10s\n' "via gateway" "$p_rps" "$p_p50" "$p_p99"
printf '%-15s %10s %10s %10s   (nginx doing the per-call work of the contract)\n' "nginx+contract" "$h_rps" "$h_p50" "$h_p99"
echo "gateway RSS: ${rss_kb} kB (peak ${hwm_kb} kB)"
awk -v p="$p_rps" -v d="$d_rps" -v x="$x_rps" -v pp="$p_p99" -v xp="$x_p99" -v h="$h_rps" -v hp="$h_p99" 'BEGIN {
    printf "ratio via nginx / direct: %.2f\n", x / d
    printf "ratio via gateway / direct: %.2f\n", p / d
    printf "gateway vs nginx: throughput %.2fx, p99 %.2fx (target: >= 1.00x, <= 1.00x)\n", p / x, pp / xp
    printf "gateway vs nginx+contract: throughput %.2fx, p99 %.2fx\n", p / h, pp / hp
}'
