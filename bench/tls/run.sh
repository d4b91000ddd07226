#!/bin/sh
# What HTTPS costs the invoke path: one gateway with TLS on (a P-256
# certificate made here), measured on its HTTPS port and on the plain
# listener beside it (the same process, the same upstream), in turns (each
# goes first in every other round), with wrk (2 threads, 50 connections,
# bounded duration). Two measures each round:
#   keep-alive   each connection sends request after request: the cost of
#                encrypting and decrypting;
#   new conn     "Connection: close" on every request: a handshake (TLS 1.3,
#                ECDHE P-256/X25519) per call, against a TCP connect.
# Prints each round, the medians, the ratios TLS/plain (of the medians, and
# the median of each round's own ratio) and the gateway's RSS. Loopback
# only.
#
#   bench/tls/run.sh [BUILD_DIR]
#   (env: DURATION=5s RUNS=5 IO_THREADS=2 UPSTREAM=trivial|watchdog)
set -eu

build=${1:-build}
bin="$build/test/unit/gateway/bench_gateway"
duration=${DURATION:-5s}
runs=${RUNS:-5}
threads=${IO_THREADS:-2}
upstream=${UPSTREAM:-trivial}
tmp=$(mktemp -d)
up_pid=""
gw_pid=""

cleanup() {
    for p in $gw_pid $up_pid; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

[ -x "$bin" ] || { echo "build first: ninja -C $build" >&2; exit 1; }
for tool in wrk openssl; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install $tool)" >&2; exit 1; }
done

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

case $upstream in
trivial)
    start_helper upstream "$bin" upstream
    ;;
watchdog)
    start_watchdog_upstream "$build"
    ;;
*)
    echo "UPSTREAM is trivial or watchdog, not $upstream" >&2
    exit 2
    ;;
esac
up_pid=$started_pid
up_port=$port

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
FAASD_TLS_CERT="$tmp/cert.pem" FAASD_TLS_KEY="$tmp/key.pem" \
    start_helper gateway "$bin" gateway "$up_port" "$threads"
gw_pid=$started_pid
tls_url="https://127.0.0.1:$port/function/echo"
plain_url="http://127.0.0.1:$(sed -n 's/^internal //p' "$tmp/gateway.out")/function/echo"

# Both answer, and the HTTPS port speaks TLS.
curl -fsS --cacert "$tmp/cert.pem" -o /dev/null "$tls_url" ||
    { echo "the HTTPS port does not answer" >&2; exit 1; }
curl -fsS -o /dev/null "$plain_url" || { echo "the plain listener does not answer" >&2; exit 1; }

# measure KIND URL: keep-alive or new connections.
measure() {
    if [ "$1" = new ]; then
        timeout 60 wrk -t2 -c50 -d"$duration" --latency -H "Connection: close" "$2" >"$tmp/wrk.out"
        awk '/Requests\/sec:/ { printf "%.0f\n", $2 }' "$tmp/wrk.out"
    else
        wrk_measure "$2"
    fi
}

for f in tls plain tls_new plain_new ratios ratios_new; do : >"$tmp/$f"; done
echo "upstream: $upstream; wrk -t2 -c50 -d$duration per measure; $runs rounds"
printf '%-6s %22s %22s %12s %12s\n' round "TLS (req/s p50 p99)" "plain" "TLS new/s" "plain new/s"
n=1
while [ "$n" -le "$runs" ]; do
    if [ $((n % 2)) -eq 1 ]; then
        tls=$(measure keep "$tls_url")
        plain=$(measure keep "$plain_url")
        tls_new=$(measure new "$tls_url")
        plain_new=$(measure new "$plain_url")
    else
        plain=$(measure keep "$plain_url")
        tls=$(measure keep "$tls_url")
        plain_new=$(measure new "$plain_url")
        tls_new=$(measure new "$tls_url")
    fi
    echo "$tls" >>"$tmp/tls"
    echo "$plain" >>"$tmp/plain"
    echo "$tls_new" >>"$tmp/tls_new"
    echo "$plain_new" >>"$tmp/plain_new"
    echo "$tls $plain" | awk '{ print $1 / $4 }' >>"$tmp/ratios"
    echo "$tls_new $plain_new" | awk '{ print $1 / $2 }' >>"$tmp/ratios_new"
    printf '%-6s %22s %22s %12s %12s\n' "$n" "$tls" "$plain" "$tls_new" "$plain_new"
    n=$((n + 1))
done

col() { awk -v c="$2" '{ print $c }' "$tmp/$1" | median; }
tls_rps=$(col tls 1)
plain_rps=$(col plain 1)
echo "keep-alive, median req/s: TLS $tls_rps, plain $plain_rps"
echo "keep-alive, median p50 ms: TLS $(col tls 2), plain $(col plain 2);" \
    "p99 ms: TLS $(col tls 3), plain $(col plain 3)"
awk -v a="$tls_rps" -v b="$plain_rps" 'BEGIN { printf "keep-alive, ratio of the medians TLS/plain: %.3f\n", a / b }'
median <"$tmp/ratios" | awk '{ printf "keep-alive, median of the rounds'"'"' ratios TLS/plain: %.3f\n", $1 }'
echo "new connection per call, median req/s: TLS $(col tls_new 1), plain $(col plain_new 1)"
median <"$tmp/ratios_new" | awk '{ printf "new connection per call, median of the rounds'"'"' ratios TLS/plain: %.3f\n", $1 }'
echo "gateway RSS after the runs: $(rss_mib "$gw_pid") MiB"
