#!/usr/bin/env bash
# How long faasd takes to compile, from a clean build directory each time,
# against the per-file build measured in the same run (docs/adr/0011):
#
#   install   what hack/install.sh compiles: release, no tests, unity
#             (-Dunity=on -Dunity_size=100), against the same without unity;
#   tests     what hack/test.sh compiles: the default build (debugoptimized)
#             with every test, unity, against the same without unity
#             (skipped unless TESTS=1: the per-file build takes most of an
#             hour on 2 cores);
#   cli       each file of src/cli/ alone, in the per-file build a plain
#             `meson setup build` makes (debugoptimized), as a developer's
#             edit recompiles it: seconds per file and the slowest.
#
# Wall and CPU seconds come from /usr/bin/time around ninja. The machine
# should be otherwise idle; only the ratios of one run are worth comparing.
# Build directories go under a temporary folder that is removed on exit.
#
#   bench/compile/run.sh            (env: TESTS=1 to time the test build too,
#                                   JOBS=N for ninja -j, default all cores)
set -euo pipefail

cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/faasd-bench-compile.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
jobs=${JOBS:-$(nproc)}
unity=(-Dunity=on -Dunity_size=100)

# build NAME MESON-ARGS...: a clean setup, then ninja under /usr/bin/time;
# prints "NAME wall user" and leaves the directory for later steps.
build() {
  local name=$1
  shift
  meson setup "$tmp/$name" --wrap-mode=nodownload "$@" >"$tmp/$name.setup" 2>&1 || {
    cat "$tmp/$name.setup" >&2
    exit 1
  }
  /usr/bin/time -f "%e %U" -o "$tmp/$name.time" ninja -C "$tmp/$name" -j "$jobs" >"$tmp/$name.log" 2>&1 || {
    tail -n 30 "$tmp/$name.log" >&2
    exit 1
  }
  read -r wall user <"$tmp/$name.time"
  printf '%-22s %8.0f s wall %8.0f s cpu\n' "$name" "$wall" "$user"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
wall() { cut -d' ' -f1 "$tmp/$1.time"; }

echo "compile: $(nproc) cores, ninja -j $jobs, $(c++ --version | head -n1)"
echo "== install (release, no tests)"
build install-per-file --buildtype=release -Dtests=false
build install-unity --buildtype=release -Dtests=false "${unity[@]}"
echo "install: unity is $(ratio "$(wall install-per-file)" "$(wall install-unity)") faster"

if [[ ${TESTS:-0} == 1 ]]; then
  echo "== tests (debugoptimized, every test)"
  build tests-per-file
  build tests-unity "${unity[@]}"
  echo "tests: unity is $(ratio "$(wall tests-per-file)" "$(wall tests-unity)") faster"
fi

echo "== src/cli, one file at a time (debugoptimized, per file)"
meson setup "$tmp/cli" --wrap-mode=nodownload -Dtests=false >/dev/null
# The generated headers (protobuf stubs, the version header) first.
ninja -C "$tmp/cli" src/cli/libfaasd_cli.a src/cli/libfaasd_client.a >/dev/null
slowest=0
for src in src/cli/*.cpp; do
  obj=$(ninja -C "$tmp/cli" -t targets all | grep -o "^src/cli/[^:]*/$(basename "$src").o" | head -n1)
  cmd=$(ninja -C "$tmp/cli" -t commands "$obj" | tail -n1)
  secs=$(cd "$tmp/cli" && /usr/bin/time -f "%e" bash -c "$cmd" 2>&1 >/dev/null | tail -n1)
  printf '  %-28s %5.1f s\n' "$src" "$secs"
  slowest=$(awk -v a="$secs" -v b="$slowest" 'BEGIN { print (a > b) ? a : b }')
done
echo "cli: slowest file ${slowest} s"
