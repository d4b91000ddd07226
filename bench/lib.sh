# shellcheck shell=sh
# Shared by the benchmark scripts (POSIX sh). Needs $tmp, a scratch
# directory the caller removes, and $duration for wrk_measure.
# shellcheck disable=SC2034,SC2154 # sets and reads the caller's variables

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_helper NAME CMD...: runs CMD in the background and waits for the
# "port N" line it prints; sets $started_pid and $port.
start_helper() {
    helper_out="$tmp/$1.out"
    shift
    "$@" >"$helper_out" &
    started_pid=$!
    i=0
    while ! grep -q '^port ' "$helper_out" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -gt 100 ] && { echo "no port from $*" >&2; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/^port //p' "$helper_out")
}

# start_watchdog_upstream BUILD_DIR: a function as it runs, the project's
# fwatchdog (mode=http) in front of a trivial function server ("ok"), both
# from BUILD_DIR; sets $started_pid (the watchdog) and $port.
start_watchdog_upstream() {
    fwatchdog="$1/src/watchdog/fwatchdog"
    fn_server="$1/test/unit/watchdog/upstream_ok"
    for f in "$fwatchdog" "$fn_server"; do
        [ -x "$f" ] || { echo "build first: ninja -C $1 ($f)" >&2; exit 1; }
    done
    fn_port=$(free_port)
    env -i PATH="$PATH" TMPDIR="$tmp" port=0 metrics_port=-1 mode=http \
        fprocess="$fn_server $fn_port" upstream_url="http://127.0.0.1:$fn_port" \
        "$fwatchdog" 2>"$tmp/watchdog.log" &
    started_pid=$!
    i=0
    until grep -q "Writing lock-file" "$tmp/watchdog.log" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -gt 100 ] && { echo "fwatchdog did not start:" >&2; cat "$tmp/watchdog.log" >&2; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/.*Listening on port: \([0-9]*\).*/\1/p' "$tmp/watchdog.log")
}

# wrk_measure URL -> "req_per_s p50_ms p99_ms": wrk, 2 threads, 50
# keep-alive connections, for $duration.
wrk_measure() {
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

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The resident set of a process, in MiB.
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
