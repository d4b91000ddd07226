#!/bin/sh
# Wake latency of the scaler (root: a private containerd, real CNI): an
# invoke of a parked function and of an evicted one, through the gateway,
# against the raw containerd floors measured in the same run.
#   bench/scaler/run.sh [build-dir]      FAASD_BENCH_RUNS=N rounds (default 21)
set -eu
build=${1:-build}
ninja -C "$build" test/integration/scaler/bench_scaler >/dev/null
exec "$build/test/integration/scaler/bench_scaler"
