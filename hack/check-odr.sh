#!/usr/bin/env bash
# Builds faasd with link-time optimisation, where GCC compares every type
# and inline function across all of faasd's translation units, and fails on
# a One Definition Rule violation (-Werror=odr): e.g. two structs of one
# qualified name with different fields. Only the faasd executable is built,
# in release mode, in its own build dir (FAASD_ODR_BUILD_DIR, default
# build-odr/); a second run rebuilds what changed. Unlike install.sh's and
# test.sh's unity builds it compiles file by file, so CI also sees that each
# file compiles on its own, with the includes it names (docs/adr/0011).
#   ./hack/check-odr.sh
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
build=${FAASD_ODR_BUILD_DIR:-$root/build-odr}

if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" --wrap-mode=nodownload --buildtype=release -Dtests=false \
    -Db_lto=true -Dlto_odr_check=true >/dev/null
fi
if ! ninja -C "$build" faasd; then
  echo "check-odr: faasd does not build and link with -flto -Werror=odr (see above)" >&2
  exit 1
fi
echo "check-odr: no One Definition Rule violation in faasd"
