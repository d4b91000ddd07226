#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root:
#   sudo ./hack/test.sh
# Installs what it needs (hack/install-deps.sh), builds with meson into
# build/, then runs the unit, integration and e2e suites in that order.
# Ends with one line "N passed, N failed, N skipped". With CI=true a skipped
# test is a failure: every test must really run.
#
# Options: --unit-only, or a list of suites (lint unit integration e2e).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
build=${FAASD_BUILD_DIR:-$root/build}

suites=(lint unit integration e2e)
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
rm -f "$build"/meson-logs/testlog-*.json
status=0
for suite in "${suites[@]}"; do
  echo "== $suite tests"
  jobs=1
  if [[ $suite == unit || $suite == lint ]]; then jobs=$(nproc); fi
  meson test -C "$build" --suite "$suite" --print-errorlogs --logbase "testlog-$suite" \
    --num-processes "$jobs" || status=1
done

python3 "$root/hack/test-summary.py" "$build"/meson-logs/testlog-*.json || status=1
exit $status
