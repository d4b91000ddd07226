#!/usr/bin/env bash
# fwatchdog benchmarks, each against a baseline measured in the same run,
# on loopback only. Rounds are interleaved (baseline, watchdog, baseline,
# ...) so that a noisy neighbour hurts both sides alike; medians are
# reported.
#
#   bench/watchdog/run.sh [BUILD_DIR]      (default: build)
#
# Environment: RUNS (rounds, default 3), DURATION (seconds per wrk or spawn
# run, default 5), CONNECTIONS (default 50), THREADS (wrk threads, default 2).
#
# http mode:    wrk -> upstream_ok directly, vs wrk -> fwatchdog (mode=http)
#               -> upstream_ok. Target: >= 0.4x, fwatchdog RSS <= 4 MiB.
# classic mode: spawn_loop (posix_spawn and fork of "busybox cat" with
#               pipes, write, read to EOF, wait; one loop, as the machine's
#               raw spawn rate) vs wrk POST -> fwatchdog fprocess="busybox
#               cat". Target: >= 0.9x. Two loops in parallel are reported
#               too, as the rate both cores can reach.
set -euo pipefail

cd "$(dirname "$0")/../.."
build=${1:-build}
runs=${RUNS:-3}
duration=${DURATION:-5}
connections=${CONNECTIONS:-50}
threads=${THREADS:-2}

fwatchdog=$build/src/watchdog/fwatchdog
helpers=$build/test/unit/watchdog
for f in "$fwatchdog" "$helpers/upstream_ok" "$helpers/spawn_loop"; do
  [[ -x $f ]] || { echo "run.sh: $f not built (ninja -C $build)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "run.sh: wrk is not installed" >&2; exit 1; }
busybox=$(command -v busybox) || { echo "run.sh: busybox is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/fwatchdog-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wrk's requests per second for a URL (extra wrk arguments after it).
wrk_rate() {
  local url=$1; shift
  wrk -t"$threads" -c"$connections" -d"${duration}s" "$@" "$url" |
    awk '/Requests\/sec/ {print $2} /Non-2xx|Socket errors/ {print "wrk: " $0 > "/dev/stderr"}'
}

median() {
  sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

# Starts fwatchdog with the given environment; sets wd_pid and wd_port.
start_watchdog() {
  local log=$work/watchdog-$RANDOM.log
  env -i PATH="$PATH" TMPDIR="$work" port=0 metrics_port=-1 "$@" "$fwatchdog" 2>"$log" &
  wd_pid=$!
  pids+=("$wd_pid")
  for _ in $(seq 100); do
    if grep -q "Writing lock-file" "$log" 2>/dev/null; then break; fi
    sleep 0.05
  done
  wd_port=$(sed -n 's/.*Listening on port: \([0-9]*\).*/\1/p' "$log")
  [[ -n $wd_port ]] || { echo "run.sh: fwatchdog did not start:" >&2; cat "$log" >&2; exit 1; }
}

rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

echo "== fwatchdog benchmark: $runs rounds of ${duration}s, wrk -t$threads -c$connections"
echo "   $(nproc) CPUs, $(uname -r), fwatchdog $(stat -c %s "$fwatchdog") bytes"

# --- http mode -------------------------------------------------------------
direct_port=$(free_port)
"$helpers/upstream_ok" "$direct_port" &
pids+=($!)
proxied_upstream=$(free_port)
start_watchdog mode=http fprocess="$helpers/upstream_ok $proxied_upstream" \
  upstream_url="http://127.0.0.1:$proxied_upstream"
http_pid=$wd_pid
http_port=$wd_port
sleep 0.2

direct=()
proxied=()
for i in $(seq "$runs"); do
  direct+=("$(wrk_rate "http://127.0.0.1:$direct_port/")")
  proxied+=("$(wrk_rate "http://127.0.0.1:$http_port/")")
  echo "   http round $i: direct ${direct[-1]} req/s, via fwatchdog ${proxied[-1]} req/s"
done
http_rss=$(rss_kib "$http_pid" VmRSS)
http_hwm=$(rss_kib "$http_pid" VmHWM)
kill "$http_pid"

# --- classic mode ----------------------------------------------------------
cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = "hello"
wrk.headers["Content-Type"] = "text/plain"
EOF
start_watchdog fprocess="busybox cat"
classic_pid=$wd_pid
classic_port=$wd_port

spawn1=()
fork1=()
spawn2=()
classic=()
for i in $(seq "$runs"); do
  spawn1+=("$("$helpers/spawn_loop" "$duration" spawn "$busybox" cat | awk '{print $NF+0}')")
  fork1+=("$("$helpers/spawn_loop" "$duration" fork "$busybox" cat | awk '{print $NF+0}')")
  "$helpers/spawn_loop" "$duration" spawn "$busybox" cat >"$work/p1" &
  loop1=$!
  "$helpers/spawn_loop" "$duration" spawn "$busybox" cat >"$work/p2" &
  loop2=$!
  wait "$loop1" "$loop2"
  spawn2+=("$(cat "$work/p1" "$work/p2" | awk '{s += $NF+0} END {print s}')")
  classic+=("$(wrk_rate "http://127.0.0.1:$classic_port/" -s "$work/post.lua")")
  echo "   classic round $i: spawn loop ${spawn1[-1]}/s, fork loop ${fork1[-1]}/s," \
    "2 spawn loops ${spawn2[-1]}/s, fwatchdog ${classic[-1]} req/s"
done
classic_rss=$(rss_kib "$classic_pid" VmHWM)
kill "$classic_pid"

# --- summary ---------------------------------------------------------------
m_direct=$(printf '%s\n' "${direct[@]}" | median)
m_proxied=$(printf '%s\n' "${proxied[@]}" | median)
m_spawn1=$(printf '%s\n' "${spawn1[@]}" | median)
m_fork1=$(printf '%s\n' "${fork1[@]}" | median)
m_spawn2=$(printf '%s\n' "${spawn2[@]}" | median)
m_classic=$(printf '%s\n' "${classic[@]}" | median)
best1=$(printf '%s\n%s\n' "$m_spawn1" "$m_fork1" | sort -g | tail -1)

# Per-round ratios: http against that round's direct run, classic against
# that round's better single loop.
http_rounds=()
classic_rounds=()
for i in $(seq 0 $((runs - 1))); do
  http_rounds+=("$(ratio "${proxied[$i]}" "${direct[$i]}")")
  best=$(printf '%s\n%s\n' "${spawn1[$i]}" "${fork1[$i]}" | sort -g | tail -1)
  classic_rounds+=("$(ratio "${classic[$i]}" "$best")")
done
http_round_ratio=$(printf '%s\n' "${http_rounds[@]}" | median)
classic_round_ratio=$(printf '%s\n' "${classic_rounds[@]}" | median)
lower() { printf '%s\n%s\n' "$1" "$2" | sort -g | head -1; }

http_ratio=$(ratio "$m_proxied" "$m_direct")
classic_ratio=$(ratio "$m_classic" "$best1")
classic_ratio2=$(ratio "$m_classic" "$m_spawn2")

verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v >= t) ? "PASS" : "FAIL"}'; }
echo
echo "== medians of $runs rounds"
printf '%-44s %12s\n' "upstream_ok direct" "$m_direct req/s"
printf '%-44s %12s   %sx of medians, %sx median of rounds (%s) (target >= 0.4x: %s)\n' \
  "fwatchdog mode=http" "$m_proxied req/s" "$http_ratio" "$http_round_ratio" \
  "${http_rounds[*]}" "$(verdict "$(lower "$http_ratio" "$http_round_ratio")" 0.4)"
printf '%-44s %12s   (target <= 4096 KiB: %s)\n' "fwatchdog mode=http RSS (now / peak)" \
  "$http_rss / $http_hwm KiB" "$(awk -v r="$http_hwm" 'BEGIN {print (r <= 4096) ? "PASS" : "FAIL"}')"
printf '%-44s %12s\n' "spawn loop, posix_spawn (busybox cat)" "$m_spawn1 /s"
printf '%-44s %12s\n' "spawn loop, fork (busybox cat)" "$m_fork1 /s"
printf '%-44s %12s\n' "2 spawn loops in parallel" "$m_spawn2 /s"
printf '%-44s %12s   %sx of the best single loop, %sx median of rounds (%s)' \
  "fwatchdog classic (busybox cat)" "$m_classic req/s" "$classic_ratio" \
  "$classic_round_ratio" "${classic_rounds[*]}"
printf ' (target >= 0.9x: %s), %sx of 2 loops\n' \
  "$(verdict "$(lower "$classic_ratio" "$classic_round_ratio")" 0.9)" "$classic_ratio2"
printf '%-44s %12s\n' "fwatchdog classic peak RSS" "$classic_rss KiB"
