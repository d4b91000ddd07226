#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root:
#   sudo ./hack/test.sh
# Installs what it needs (hack/install-deps.sh), builds with meson into
# build/, then runs the lint, unit, fuzz, integration and e2e suites in that
# order. The fuzz suite has its own build, with clang, ASan and UBSan, in
# build-fuzz/ beside build/ (docs/FUZZING.md): each libFuzzer target replays
# its regression inputs and fuzzes for a few seconds.
# Ends with one line "N passed, N failed, N skipped". With CI=true a skipped
# test is a failure: every test must really run.
#
# Options: --unit-only, or a list of suites (lint unit fuzz integration e2e).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
build=${FAASD_BUILD_DIR:-$root/build}
fuzz_build=${FAASD_FUZZ_BUILD_DIR:-$build-fuzz}

suites=(lint unit fuzz integration e2e)
if [[ $# -gt 0 ]]; then
  if [[ $1 == --unit-only ]]; then suites=(unit); else suites=("$@"); fi
fi

if [[ $(id -u) -eq 0 ]]; then
  ./hack/install-deps.sh || { echo "test: installing dependencies failed" >&2; exit 1; }
else
  echo "test: not root: skipping dependency install; integration tests will skip" >&2
fi

if [[ ! -f $build/build.ninja ]]; then
  # A unity build: each target compiles as one file (docs/adr/0011).
  meson setup "$build" --wrap-mode=nodownload -Dunity=on -Dunity_size=100 \
    >"$root/.meson-setup.log" 2>&1 || {
    cat "$root/.meson-setup.log" >&2
    echo "0 passed, 1 failed"
    exit 1
  }
  rm -f "$root/.meson-setup.log"
fi
started=$SECONDS
if ! ninja -C "$build"; then
  echo "test: build failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

echo "test: built in $((SECONDS - started)) s"
rm -f "$build"/meson-logs/testlog-*.json "$fuzz_build"/meson-logs/testlog-*.json

# The fuzz suite: its own build directory, configured with clang, where only
# the fuzz targets are defined; one test per target.
fuzz_suite() {
  if [[ ! -f $fuzz_build/build.ninja ]]; then
    CC=clang CXX=clang++ meson setup "$fuzz_build" --wrap-mode=nodownload -Dfuzzing=true \
      >"$root/.meson-setup-fuzz.log" 2>&1 || {
      cat "$root/.meson-setup-fuzz.log" >&2
      return 1
    }
    rm -f "$root/.meson-setup-fuzz.log"
  fi
  local started=$SECONDS
  if ! ninja -C "$fuzz_build" fuzz; then
    echo "test: the fuzz targets' build failed" >&2
    return 1
  fi
  echo "test: fuzz targets built in $((SECONDS - started)) s"
  meson test -C "$fuzz_build" --no-rebuild --suite fuzz --print-errorlogs --logbase testlog-fuzz \
    --num-processes "$(nproc)"
}

status=0
for suite in "${suites[@]}"; do
  echo "== $suite tests"
  if [[ $suite == fuzz ]]; then
    fuzz_suite || status=1
    continue
  fi
  jobs=1
  if [[ $suite == unit || $suite == lint ]]; then jobs=$(nproc); fi
  meson test -C "$build" --suite "$suite" --print-errorlogs --logbase "testlog-$suite" \
    --num-processes "$jobs" || status=1
done

python3 "$root/hack/test-summary.py" "$build"/meson-logs/testlog-*.json \
  "$fuzz_build"/meson-logs/testlog-*.json || status=1
exit $status
