#!/bin/sh
# Copies Debian's Python 3 into rootfs/ at the paths it has on the host:
# the interpreter (/usr/bin/python3 and the python3.X it points to), its
# standard library less what nothing needs at run time, the shared
# libraries the interpreter and its extension modules load (as ldd names
# them), the dynamic loader, and the CA bundle for TLS clients. The image
# has no shell and no package manager; this is the whole runtime.
#
# /usr/bin/python3 is used on purpose, not the first python3 on PATH: a
# pyenv or venv interpreter lives under a home folder and links against
# libraries the image would not have.
set -eu

fail() {
    echo "python3-http: $*" >&2
    exit 1
}

[ -x /usr/bin/python3 ] || fail "/usr/bin/python3 is missing: apt-get install python3"
command -v ldd >/dev/null 2>&1 || fail "ldd is missing: apt-get install libc-bin"

python=$(readlink -f /usr/bin/python3)
stdlib=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
dynload=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["platstdlib"])')/lib-dynload
[ -d "$stdlib" ] || fail "no standard library at $stdlib"
[ -d "$dynload" ] || fail "no lib-dynload at $dynload"

rm -rf rootfs
mkdir -p rootfs/usr/bin

# The standard library, without the tests, the IDE, Tk, the static
# libpython and config (only needed to build extensions), the host's .pyc
# files (timestamp-based: the image's files all have mtime 0, so they
# would never match), and the extension modules a server has no use for
# that pull in big libraries: readline and curses (terminals), nis (NIS,
# deprecated; Kerberos and libtirpc), _dbm (Berkeley DB; dbm falls back to
# dbm.dumb), ossaudiodev.
#
# It is then compiled to .pyc files that Python uses without looking at
# the source (unchecked-hash): they hold no timestamp and make the
# interpreter start several times faster. One process, files in sorted
# order and a fixed hash seed give the same bytes build after build.
# Compiling takes a while, so the result is kept in the build user's cache,
# under a key made of this script and the interpreter's and standard
# library's names, sizes and times.
copy_stdlib() { # $1: the folder to fill
    mkdir -p "$1$stdlib"
    tar -C "$stdlib" -cf - \
        --exclude=./test --exclude=./idlelib --exclude=./tkinter \
        --exclude=./turtledemo --exclude=./ensurepip --exclude=./lib2to3 \
        --exclude=./pydoc_data --exclude='./config-*' --exclude='./site-packages' \
        --exclude='./dist-packages' --exclude=__pycache__ --exclude=./turtle.py \
        --exclude='./lib-dynload/_test*' --exclude='./lib-dynload/xx*' \
        --exclude='./lib-dynload/_ctypes_test*' \
        --exclude='./lib-dynload/readline.*' --exclude='./lib-dynload/_curses*' \
        --exclude='./lib-dynload/nis.*' --exclude='./lib-dynload/_dbm.*' \
        --exclude='./lib-dynload/ossaudiodev.*' \
        . | tar -C "$1$stdlib" -xf -
    PYTHONHASHSEED=0 /usr/bin/python3 -m compileall -q -f -j 1 \
        --invalidation-mode unchecked-hash -d "$stdlib" "$1$stdlib" >/dev/null ||
        fail "compiling the standard library in $1$stdlib failed"
}

key=$(
    {
        cat "$0"
        find "$python" "$stdlib" -printf '%p %s %T@\n' | LC_ALL=C sort
    } | sha256sum | cut -c1-32
)
cache=
if [ -n "${HOME:-}" ]; then
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/faasd/python3-http/stdlib-$key
fi
if [ -n "$cache" ] && [ -d "$cache" ]; then
    cp -a "$cache/." rootfs/
else
    copy_stdlib rootfs
    if [ -n "$cache" ] && mkdir -p "$(dirname "$cache")" 2>/dev/null; then
        # Filled beside it, then renamed: a cache entry is whole or absent.
        if partial=$(mktemp -d "$cache.XXXXXX" 2>/dev/null); then
            if cp -a rootfs/usr "$partial/"; then
                mv -T "$partial" "$cache" 2>/dev/null || rm -rf "$partial"
            else
                rm -rf "$partial"
            fi
        fi
    fi
fi
# The interpreter is copied after the cache is used, so the cache holds
# only the standard library.
cp "$python" "rootfs$python"
ln -s "$(basename "$python")" rootfs/usr/bin/python3

# The shared-library closure of the interpreter and every extension module
# kept, at the paths ldd prints, plus the dynamic loader ldd names.
libs=$(
    for binary in "$python" "rootfs$dynload"/*.so; do
        out=$(ldd "$binary") || fail "ldd $binary failed"
        case $out in
            *"not found"*) fail "$binary needs a library the host lacks: $out" ;;
        esac
        printf '%s\n' "$out"
    done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u
)
for lib in $libs; do
    mkdir -p "rootfs$(dirname "$lib")"
    cp -L "$lib" "rootfs$lib"
done

# TLS clients (urllib, http.client, pip packages using ssl) verify with the
# host's CA bundle; SSL_CERT_FILE in template.yml points to it.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p rootfs/etc/ssl/certs
    cp -L /etc/ssl/certs/ca-certificates.crt rootfs/etc/ssl/certs/
else
    echo "python3-http: no /etc/ssl/certs/ca-certificates.crt; TLS clients in the function will not verify (apt-get install ca-certificates)" >&2
fi
