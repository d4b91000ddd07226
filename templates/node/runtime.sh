#!/bin/sh
# Copies the host's /usr/bin/node into rootfs/ with the shared libraries it
# loads, at the paths ldd prints, and the dynamic loader. Node carries its
# own CA certificates and ICU data, so nothing else is needed; the image
# has no shell and no package manager. A node binary built with debug
# information (NodeSource's is, 99 MB) is copied without it when binutils'
# strip is there: 13 MB less in the image, the same program.
set -eu

fail() {
    echo "node: $*" >&2
    exit 1
}

[ -x /usr/bin/node ] || fail "/usr/bin/node is missing: apt-get install nodejs"
command -v ldd >/dev/null 2>&1 || fail "ldd is missing: apt-get install libc-bin"

node=$(readlink -f /usr/bin/node)

rm -rf rootfs
mkdir -p "rootfs$(dirname "$node")" rootfs/usr/bin
if command -v strip >/dev/null 2>&1; then
    strip -o "rootfs$node" "$node" || fail "strip $node failed"
else
    cp "$node" "rootfs$node"
fi
if [ "$node" != /usr/bin/node ]; then
    ln -s "$node" rootfs/usr/bin/node
fi

out=$(ldd "$node") || fail "ldd $node failed"
case $out in
    *"not found"*) fail "$node needs a library the host lacks: $out" ;;
esac
libs=$(printf '%s\n' "$out" |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
for lib in $libs; do
    mkdir -p "rootfs$(dirname "$lib")"
    cp -L "$lib" "rootfs$lib"
done
