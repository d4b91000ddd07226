#!/usr/bin/env bash
# Installs and runs faasd on a fresh Debian 12 (or Ubuntu) machine, as root:
#   sudo ./hack/install.sh
# Installs dependencies from the distribution (hack/install-deps.sh), builds
# faasd in release mode, installs it (meson install, prefix /usr/local), and
# starts the daemon: as a systemd service when systemd runs the machine,
# otherwise `faasd up` in the background with its log in the state dir.
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
build=${FAASD_RELEASE_BUILD_DIR:-$root/build-release}
prefix=${FAASD_PREFIX:-/usr/local}
state=${FAASD_STATE_DIR:-/var/lib/faasd}
gateway=http://127.0.0.1:${FAASD_GATEWAY_PORT:-8080}

if [[ $(id -u) -ne 0 ]]; then
  echo "install: run as root: sudo $0" >&2
  exit 1
fi

./hack/install-deps.sh

# A unity build: each component compiles as one file (docs/adr/0011).
if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" --wrap-mode=nodownload --buildtype=release --prefix="$prefix" \
    -Dtests=false -Dunity=on -Dunity_size=100 >/dev/null
else
  meson configure "$build" --prefix="$prefix" -Dunity=on -Dunity_size=100 >/dev/null
fi
started=$SECONDS
ninja -C "$build" >/dev/null
echo "install: compiled in $((SECONDS - started)) s"
meson install -C "$build" --quiet >/dev/null
echo "install: installed $("$prefix/bin/faasd" version 2>/dev/null | head -n1)"

faasd="$prefix/bin/faasd"
if ! "$faasd" --help | grep -qE '^ +up +'; then
  echo "install: this version of faasd has no daemon yet ('faasd up'); nothing was started."
  exit 0
fi

if [[ -d /run/systemd/system ]]; then
  "$faasd" install
  exit 0
fi

mkdir -p "$state"
if curl -fsS -o /dev/null "$gateway/healthz" 2>/dev/null; then
  echo "install: a gateway already answers on $gateway; not starting another"
  exit 0
fi
nohup "$faasd" up >>"$state/faasd.log" 2>&1 &
echo "install: started faasd up (pid $!), log in $state/faasd.log"
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "$gateway/healthz" 2>/dev/null; then
    echo "install: the gateway answers on $gateway"
    echo "install: admin password in $state/secrets/basic-auth-password"
    exit 0
  fi
  sleep 0.5
done
echo "install: faasd did not answer on $gateway within 60 s; see $state/faasd.log" >&2
exit 1
