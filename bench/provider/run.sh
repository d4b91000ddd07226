#!/bin/sh
# Runs the provider benchmarks (root: a private containerd, real CNI).
#   bench/provider/run.sh [build-dir]      FAASD_BENCH_RUNS=N for more runs
set -eu
build=${1:-build}
ninja -C "$build" test/integration/provider/bench_provider >/dev/null
exec "$build/test/integration/provider/bench_provider"
