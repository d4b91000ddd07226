#!/usr/bin/env bash
# Installs, with apt-get, everything faasd needs to build, test and run on
# Debian 12. Idempotent: a second run installs nothing and prints nothing.
set -euo pipefail

packages=(
  # toolchain; clang and libFuzzer build the fuzz targets (docs/FUZZING.md)
  g++ meson ninja-build pkg-config git ca-certificates clang libfuzzer-14-dev
  # libraries
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libcpp-httplib-dev libyaml-cpp-dev libfmt-dev catch2 nlohmann-json3-dev
  libarchive-dev libssl-dev libsqlite3-dev libboost-dev
  libexpected-dev libcrypt-dev libhowardhinnant-date-dev libmosquitto-dev
  # containerd's own API definitions (read for field numbers)
  golang-github-containerd-containerd-dev
  # runtime
  containerd runc containernetworking-plugins iptables iproute2
  busybox-static docker-registry golang-go curl
  # MQTT triggers' broker and its command-line clients (tests, bench)
  mosquitto mosquitto-clients
  # etcd 3.4 and etcdctl: the cluster's store (src/etcd's tests start their
  # own members from /usr/bin/etcd)
  etcd-server etcd-client
  # builds: Dockerfile templates through buildah; python3-http's runtime
  # and its requirements (the node template uses node and npm, below)
  buildah python3-pip
  # test tools: systemd-analyze verifies the unit; python3 sums test logs,
  # embeds the web UI and checks the layering; clang-format checks the
  # sources' format; chromium runs the UI's browser test; openssl makes
  # the TLS test's certificates
  wrk shellcheck clang-format systemd python3 chromium openssl
)
# node and npm install playwright-core for the browser test. A node that
# already brings its own npm is kept (Debian's npm conflicts with it).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root (apt-get)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
