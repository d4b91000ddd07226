# Shared by the e2e tests: a private environment for `faasd up` (state,
# containerd socket, CNI bridge and subnet, port, all test-only), checks
# counted as "N passed, N failed", daemon start/stop, a function image built
# here, and a cleanup that leaves nothing behind. Source it after setting
# $faasd (the binary) and $fwatchdog; a test that runs beside the others
# sets $e2e_bridge and $e2e_subnet (a /24) to a bridge and subnet of its own.
# shellcheck shell=bash
: "${faasd:?faasd must be set}" "${fwatchdog:?fwatchdog must be set}"

tmp=$(mktemp -d /tmp/faasd-e2e-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export FAASD_STATE_DIR=$tmp/state
export FAASD_PROVIDER_STATE_DIR=$tmp/provider
export FAASD_CONTAINERD_SOCKET=$tmp/c.sock
export FAASD_GATEWAY_ADDRESS=127.0.0.1
export FAASD_GATEWAY_PORT=$port
export FAASD_CNI_BRIDGE=${e2e_bridge:-faasde2e0}
export FAASD_CNI_SUBNET=${e2e_subnet:-10.197.0.0/24}
export FAASD_CNI_CONF_DIR=$tmp/cni
export FAASD_CNI_IPAM_DIR=$tmp/ipam
export FAASD_NETNS_DIR=$tmp/netns
export FAASD_PULL_POLICY=Never
gw=http://127.0.0.1:$port
e2e_curl=() # more curl options for start_daemon and the cleanup
pid=
failures=0
passes=0

check() { # name, command...
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passes=$((passes + 1))
  else
    echo "FAILED: $name"
    failures=$((failures + 1))
  fi
}

stop_daemon() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  pid=
}

remove_all_functions() {
  local auth ns name
  auth="admin:$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password" 2>/dev/null)"
  for ns in $(curl -s "${e2e_curl[@]}" -u "$auth" "$gw/system/namespaces" |
    python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))' 2>/dev/null); do
    for name in $(curl -s "${e2e_curl[@]}" -u "$auth" "$gw/system/functions?namespace=$ns" |
      python3 -c 'import json,sys; print(" ".join(f["name"] for f in json.load(sys.stdin)))' 2>/dev/null); do
      curl -s "${e2e_curl[@]}" -u "$auth" -X DELETE -d "{\"functionName\":\"$name\",\"namespace\":\"$ns\"}" \
        "$gw/system/functions" >/dev/null
    done
  done
}

cleanup() {
  # Remove every function first, so their processes, netns, IPs and
  # iptables rules go too (a stopped daemon leaves functions running).
  if [[ -n $pid ]]; then
    remove_all_functions
  fi
  stop_daemon
  if [[ -n ${extra_cleanup:-} ]]; then "$extra_cleanup"; fi
  pkill -KILL -f "$tmp" 2>/dev/null
  sleep 0.2
  grep " $tmp" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  ip link del "$FAASD_CNI_BRIDGE" 2>/dev/null
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -F -e "${FAASD_CNI_SUBNET%.*}." | sed 's/^-A/-D/' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

start_daemon() {
  "$faasd" up >>"$tmp/faasd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    if curl -fsS "${e2e_curl[@]}" -o /dev/null "$gw/healthz" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "faasd up did not answer; its log:"
  cat "$tmp/faasd.log"
  return 1
}

# build_image [TAG [DIR [APPLET...]]]: writes DIR/image.tar (DIR defaults to
# $tmp/img, kept in $img), a docker-save archive of TAG (default
# faasd.test/echo:1): fwatchdog on busybox with the given applets (default
# cat sh env), fprocess=cat; files already in DIR/rootfs go in too, and
# $image_user, when set, is the image's User.
build_image() {
  local tag=${1:-faasd.test/echo:1} applet diffid cfg
  img=${2:-$tmp/img}
  shift $(($# > 2 ? 2 : $#))
  local applets=("$@")
  ((${#applets[@]})) || applets=(cat sh env)
  mkdir -p "$img/rootfs/bin" "$img/rootfs/tmp" "$img/rootfs/etc" "$img/rootfs/proc" \
    "$img/rootfs/sys" "$img/rootfs/dev"
  cp "$(command -v busybox)" "$img/rootfs/bin/busybox"
  for applet in "${applets[@]}"; do ln -sf busybox "$img/rootfs/bin/$applet"; done
  cp "$fwatchdog" "$img/rootfs/fwatchdog"
  chmod 1777 "$img/rootfs/tmp"
  tar -C "$img/rootfs" --numeric-owner --owner=0 --group=0 -cf "$img/layer.tar" .
  diffid=$(sha256sum "$img/layer.tar" | cut -d' ' -f1)
  cat >"$img/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","fprocess=cat"],"Cmd":["/fwatchdog"],"WorkingDir":"/"${image_user:+,\"User\":\"$image_user\"}},"rootfs":{"type":"layers","diff_ids":["sha256:$diffid"]}}
JSON
  cfg=$(sha256sum "$img/config.json" | cut -d' ' -f1)
  mkdir -p "$img/archive"
  cp "$img/layer.tar" "$img/archive/$diffid.tar"
  cp "$img/config.json" "$img/archive/$cfg.json"
  cat >"$img/archive/manifest.json" <<JSON
[{"Config":"$cfg.json","RepoTags":["$tag"],"Layers":["$diffid.tar"]}]
JSON
  tar -C "$img/archive" -cf "$img/image.tar" .
}

# start_registry [PORT]: Debian's docker-registry on loopback (PORT, else a
# free port), in $tmp/registry; sets $reg (host:port) and stops it on exit
# (it sets extra_cleanup).
start_registry() {
  local reg_port=${1:-0}
  if [[ $reg_port == 0 ]]; then
    reg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  fi
  reg=127.0.0.1:$reg_port
  mkdir -p "$tmp/registry"
  cat >"$tmp/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $tmp/registry/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $reg
YAML
  setpriv --pdeathsig KILL -- docker-registry serve "$tmp/registry/config.yml" >"$tmp/registry/log" 2>&1 &
  registry_pid=$!
  extra_cleanup=stop_registry
  local _
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://$reg/v2/" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
stop_registry() { kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; }

# wait_for SECONDS COMMAND...: until COMMAND succeeds, or false after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [[ $SECONDS -lt $deadline ]] || return 1
    sleep 0.1
  done
}
