#!/usr/bin/env bash
# faasd build per template: wall time of `faasd build --output` (stage, host
# build, pack, OCI archive; no containerd) against the template's own build
# command run alone in the same staged folder, as medians of interleaved
# rounds; the image size; and whether every round gave the same digest.
#
# Usage: bench/build/run.sh [BUILD_DIR] [ROUNDS]   (BUILD_DIR: meson build, default build/)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
rounds=${2:-5}
faasd=$build/faasd
export FAASD_WATCHDOG_PATH=$build/src/watchdog/fwatchdog
export FAASD_TEMPLATES_DIR=$root/templates
export FAASD_CONTAINERD_SOCKET=/nonexistent/containerd.sock  # archives only
tmp=$(mktemp -d /tmp/faasd-bench-build-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-12s %10s %10s %8s %10s %s\n' template faasd_s raw_s ratio image_kB digests
for lang in go golang-http cpp bash; do
  cp -r "$root/examples/$lang" "$tmp/$lang"
  cd "$tmp/$lang"
  fn=$(sed -n 's/^  \([a-z0-9-]*\):$/\1/p' stack.yml | head -1)
  # The template's commands, as template.yml lists them, with its build env.
  "$faasd" build -f stack.yml --output "$tmp/out-$lang" >/dev/null 2>&1  # warm caches
  mapfile -t cmds < <(sed -n '/^  run:/,/^[a-z]/p' "$root/templates/$lang/template.yml" | sed -n 's/^    - //p')
  mapfile -t envs < <(sed -n '/^  env:/,/^  run:/p' "$root/templates/$lang/template.yml" |
    sed -n 's/^    \([A-Z_]*\): "\{0,1\}\([^"]*\)"\{0,1\}$/\1=\2/p')
  : >"$tmp/faasd.t"; : >"$tmp/raw.t"; : >"$tmp/digests"
  for _ in $(seq 1 "$rounds"); do
    t0=$(now)
    "$faasd" build -f stack.yml --output "$tmp/out-$lang" >"$tmp/build.out" 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc >>"$tmp/faasd.t"
    sed -n 's/.* built [^ ]* \(sha256:[0-9a-f]*\).*/\1/p' "$tmp/build.out" >>"$tmp/digests"
    t0=$(now)
    for c in "${cmds[@]}"; do (cd "build/$fn" && env "${envs[@]}" sh -c "$c" >/dev/null 2>&1); done
    t1=$(now)
    echo "$t1 - $t0" | bc >>"$tmp/raw.t"
  done
  f=$(median <"$tmp/faasd.t"); r=$(median <"$tmp/raw.t")
  size=$(( $(stat -c %s "$tmp/out-$lang/$fn.tar") / 1024 ))
  distinct=$(sort -u "$tmp/digests" | wc -l)
  printf '%-12s %10.3f %10.3f %8.2f %10d %s\n' "$lang" "$f" "$r" "$(echo "$f / $r" | bc -l)" "$size" \
    "$([[ $distinct -eq 1 ]] && echo "1 distinct of $rounds" || echo "$distinct DISTINCT of $rounds")"
done
