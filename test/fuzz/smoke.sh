#!/usr/bin/env bash
# One fuzz target's smoke run, a test of the suite `fuzz`:
#   smoke.sh BINARY CORPUS REGRESSIONS WORKDIR
# Replays every input in REGRESSIONS (each once, as a crash found earlier
# must stay fixed), then fuzzes for FAASD_FUZZ_SECONDS (default 5) from the
# seed corpus. New inputs and any crash go to WORKDIR, never to the source
# tree. Exits non-zero on a crash, a leak, a timeout or a sanitizer report.
set -euo pipefail

binary=$1 corpus=$2 regressions=$3 work=$4
seconds=${FAASD_FUZZ_SECONDS:-5}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"

if [[ -d $regressions ]]; then
  mapfile -t inputs < <(find "$regressions" -type f | sort)
  if ((${#inputs[@]} > 0)); then
    echo "replaying ${#inputs[@]} regression input(s)"
    "$binary" -artifact_prefix="$work/artifacts/" "${inputs[@]}"
  fi
fi

"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "$corpus"
