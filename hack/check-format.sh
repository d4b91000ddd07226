#!/usr/bin/env bash
# Fails when a C++ source differs from what .clang-format makes of it.
#   hack/check-format.sh            every tracked .cpp/.hpp of the tree
#   hack/check-format.sh FILE...    those files (style from their directory)
# CLANG_FORMAT names the binary (default: clang-format). Generated code
# (protobuf stubs, the embedded UI) lives in the build directory and is not
# tracked, so it is never checked. Exits 77 (skipped) without a git tree.
set -euo pipefail

clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "$clang_format not found (hack/install-deps.sh installs it)" >&2
  exit 77
fi

files=()
if (($# > 0)); then
  files=("$@")
else
  cd "$(dirname "$0")/.." || exit 1
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "not a git work tree: nothing to list" >&2
    exit 77
  fi
  while IFS= read -r -d '' f; do
    [[ -f $f ]] && files+=("$f")
  done < <(git ls-files -z -- '*.cpp' '*.hpp')
fi

if ((${#files[@]} == 0)); then
  echo "no C++ files"
  exit 0
fi

# One run over every file; clang-format names each offence "FILE:LINE:COL: error: ...".
if out=$("$clang_format" --dry-run --Werror --style=file "${files[@]}" 2>&1); then
  echo "${#files[@]} files formatted"
  exit 0
fi
mapfile -t bad < <(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: .*/\1/p' <<<"$out" | sort -u)
# The first offences in full, then every file by name.
head -n 40 <<<"$out"
if ((${#bad[@]} > 0)); then
  printf 'not formatted: %s\n' "${bad[@]}"
fi
echo "${#bad[@]} of ${#files[@]} files not formatted (fix: $clang_format -i FILE)"
exit 1
