#!/usr/bin/env bash
# A long run of one fuzz target (docs/FUZZING.md):
#   hack/fuzz.sh TARGET MINUTES [libFuzzer flags...]
#   hack/fuzz.sh --list
# Builds the fuzzing build (build-fuzz/, clang with ASan and UBSan) if
# needed, then fuzzes TARGET for MINUTES from its seed corpus. What it
# learns is kept in build-fuzz/long/TARGET/corpus for the next run; a crash
# is written to build-fuzz/long/TARGET/ and ends the run with its status.
# A crash's input, once fixed, goes to test/fuzz/regressions/TARGET/.
# FAASD_FUZZ_JOBS runs that many fuzzing processes at once (default 1).
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
build=${FAASD_FUZZ_BUILD_DIR:-$root/build-fuzz}

targets() {
  find "$root/test/fuzz/corpus" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort
}

if [[ ${1:-} == --list ]]; then
  targets
  exit 0
fi
if [[ $# -lt 2 || ! $2 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: hack/fuzz.sh TARGET MINUTES [libFuzzer flags...]  (targets: hack/fuzz.sh --list)" >&2
  exit 2
fi
target=$1 minutes=$2
shift 2
if [[ ! -d $root/test/fuzz/corpus/$target ]]; then
  echo "fuzz: no target $target; one of: $(targets | tr '\n' ' ')" >&2
  exit 2
fi

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ meson setup "$build" --wrap-mode=nodownload -Dfuzzing=true
fi
ninja -C "$build" "test/fuzz/fuzz_$target"

out=$build/long/$target
mkdir -p "$out/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
dirs=("$out/corpus" "$root/test/fuzz/corpus/$target")
if [[ -d $root/test/fuzz/regressions/$target ]]; then
  dirs+=("$root/test/fuzz/regressions/$target")
fi
flags=(-max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=2048 -max_len=65536
  -print_final_stats=1 -artifact_prefix="$out/")
# With several jobs libFuzzer writes each one's output to fuzz-N.log there.
jobs=${FAASD_FUZZ_JOBS:-1}
if ((jobs > 1)); then
  flags+=(-jobs="$jobs" -workers="$jobs")
fi
cd "$out"
exec "$build/test/fuzz/fuzz_$target" "${flags[@]}" "$@" "${dirs[@]}"
