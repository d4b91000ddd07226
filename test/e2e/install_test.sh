#!/usr/bin/env bash
# End to end: what a user does on a fresh machine. `faasd install` (twice:
# the second run changes nothing), the systemd unit verified, then
# `hack/install.sh` builds, installs and starts faasd (no systemd here), a
# function is deployed and invoked with curl, the daemon is stopped and
# started again, and the function answers again.
#
# Usage: install_test.sh FAASD FWATCHDOG UNIT SOURCE_DIR   (77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
unit=$(realpath "$3")
source_dir=$(realpath "$4")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox systemd-analyze meson; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

snapshot() { # every file's path, mode, size and content hash
  find "$FAASD_STATE_DIR" "$FAASD_PROVIDER_STATE_DIR" "$FAASD_CNI_CONF_DIR" -printf '%p %m %s %T@\n' |
    sort
}

# --- faasd install, twice
first=$("$faasd" install 2>&1)
check "faasd install succeeds" test $? -eq 0
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password" 2>/dev/null)
check "install creates credentials" test -n "$pass"
check "credentials are 0600" test "$(stat -c %a "$FAASD_STATE_DIR/secrets/basic-auth-password")" = 600
check "install never prints the password" bash -c "! grep -qF -- '$pass' <<<'$first'"
check "install writes the CNI config" test -f "$FAASD_CNI_CONF_DIR/10-openfaas.conflist"
check "without systemd install says how to run faasd up" bash -c "grep -q 'faasd up' <<<'$first'"
before=$(snapshot)
second=$("$faasd" install 2>&1)
check "a second install succeeds" test $? -eq 0
check "a second install changes nothing" test "$before" = "$(snapshot)"
check "a second install creates nothing" bash -c "! grep -qE 'created|wrote' <<<'$second'"

# --- the unit file
sed "s|^ExecStart=[^ ]*|ExecStart=$faasd|" "$unit" >"$tmp/faasd.service"
check "systemd-analyze verify accepts the unit" systemd-analyze verify "$tmp/faasd.service"

# --- hack/install.sh: build, install under a private prefix, start
prefix=$tmp/prefix
installer_log=$tmp/install.log
FAASD_PREFIX=$prefix FAASD_RELEASE_BUILD_DIR=${FAASD_RELEASE_BUILD_DIR:-$source_dir/build-release} \
  "$source_dir/hack/install.sh" >"$installer_log" 2>&1
rc=$?
check "hack/install.sh succeeds" bash -c "[[ $rc == 0 ]] || { cat '$installer_log'; false; }"
check "hack/install.sh installed faasd and fwatchdog" \
  test -x "$prefix/bin/faasd" -a -x "$prefix/bin/fwatchdog"
check "the gateway answers after hack/install.sh" curl -fsS -o /dev/null "$gw/healthz"
# The daemon it started in the background is ours to stop.
pid=$(pgrep -f "^$prefix/bin/faasd up" | head -n1)
faasd=$prefix/bin/faasd
fwatchdog=$prefix/bin/fwatchdog

build_image faasd.test/echo:1
check "the test image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pass" -X POST \
  -d '{"service":"echo","image":"faasd.test/echo:1"}' "$gw/system/functions")
check "deploy with curl" bash -c "[[ $code == 200 || $code == 202 ]]"
check "invoke with curl" test "$(curl -fsS -d 'installed' "$gw/function/echo")" = "installed"

stop_daemon
check "the daemon stops" bash -c "! curl -fsS -o /dev/null '$gw/healthz' 2>/dev/null"
check "the daemon starts again" start_daemon
check "invoke after the restart" test "$(curl -fsS -d 'back' "$gw/function/echo")" = "back"

check "uninstall keeps the data unless --purge" bash -c \
  "'$faasd' uninstall | grep -q 'kept' && test -f '$FAASD_STATE_DIR/secrets/basic-auth-password'"
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
