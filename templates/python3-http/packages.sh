#!/bin/sh
# Installs function/requirements.txt into python/ (packed at
# /home/app/python, on PYTHONPATH in the image) with the host's pip for
# /usr/bin/python3. pip reads its settings from the environment as usual:
# PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS (a folder of wheels),
# PIP_NO_INDEX=1 (offline), given as build_args in the stack file or set on
# the host. No requirement lines: pip is not run at all.
set -eu

fail() {
    echo "python3-http: $*" >&2
    exit 1
}

rm -rf python
mkdir -p python
requirements=function/requirements.txt
[ -f "$requirements" ] || exit 0
# Lines that are neither blank nor comments.
if ! grep -q '^[[:space:]]*[^#[:space:]]' "$requirements"; then
    exit 0
fi

/usr/bin/python3 -m pip --version >/dev/null 2>&1 ||
    fail "python3-pip is not installed: apt-get install python3-pip"

# --target installs outside the interpreter's environment, which pip does
# not refuse on an EXTERNALLY-MANAGED (Debian) Python, so
# PIP_BREAK_SYSTEM_PACKAGES is not needed. --no-compile: pip's .pyc files
# are timestamp-based, useless once the image sets every mtime to 0.
/usr/bin/python3 -m pip install --no-compile --no-warn-script-location \
    --disable-pip-version-check --target python -r "$requirements" ||
    fail "pip could not install $requirements (see above); offline, point PIP_FIND_LINKS at a folder of wheels and set PIP_NO_INDEX=1"

# Compiled as the standard library is (runtime.sh): .pyc files Python uses
# without checking the source, the same bytes every build. A file that
# does not compile (a package's Python 2 leftovers) is left as source.
PYTHONHASHSEED=0 /usr/bin/python3 -m compileall -q -f -j 1 \
    --invalidation-mode unchecked-hash -d /home/app/python python >/dev/null || true
