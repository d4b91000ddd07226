# A cluster of faasd nodes on one machine, for the cluster e2e tests. Each
# node is a network namespace (faasd-node1..N) with a veth on the host
# bridge faasdclu0 (10.193.0.1/24; node i is 10.193.0.(10+i)), its own
# etcd member (client :2379, peer :2380 on the node's address; the N form
# one cluster), and its own `faasd up`, which starts the node's own
# containerd (root, state and socket under the node's directory). Node i's
# functions are on 10.194.i.0/24 behind the bridge faasdfn0 inside its
# namespace, their cgroups under /faasd-clu/nodeI (FAASD_CGROUP_PARENT).
# Everything else lives under $tmp/nodeI; the cleanup (lib.sh's trap)
# leaves nothing behind: functions, processes, namespaces, links, the host's
# rule, mounts, cgroups.
#
# What the nodes share on the host is keyed so as not to collide: the
# containerd shims' sockets (/run/containerd/s) by a hash of the node's
# containerd socket, namespace and container id; runc's state
# (/run/containerd/runc/<namespace>/<id>) by the replica's id, drawn at
# random by each node (the same function name on two nodes is two ids); the
# cgroups by the node's parent. iptables, the bridge and ip_forward are the
# node's own, in its namespace.
#
# Across nodes, a node reaches another's replicas with one route,
# 10.194.j.0/24 via 10.193.0.(10+j) (route_node_subnets); the answers need
# none (the caller's address is on the nodes' subnet). Nothing in a node's
# iptables stops it: FORWARD accepts (the firewall plugin's rules only
# accept), masquerading is for connections a replica opens, and faasd
# turns ip_forward on in its namespace. The bridged packets do cross the
# host's FORWARD chain (br_netfilter), hence the host's ACCEPT rule.
#
# faasd and its containerd run in the node's network namespace only
# (nsenter --net), not through `ip netns exec`: that also makes a mount
# namespace with a fresh /sys, without /sys/fs/cgroup, where runc cannot
# make the replicas' cgroups; and the replicas' namespaces, bind-mounted
# there, would be seen by no one else.
#
# Source it after setting $faasd and $fwatchdog; $cluster_nodes (default 3)
# is the number of nodes; with $cluster_mode set, the nodes' faasd join one
# cluster on the etcd members (FAASD_CLUSTER_*); $node_extra_env holds more
# NAME=VALUE words for every node. It sources lib.sh (check, wait_for, build_image,
# $tmp, the cleanup trap).
#
# Provided:
#   cluster_setup                 the bridge, the namespaces, the host's rule
#   start_etcd_cluster            an etcd member per node; waits until healthy
#   etcd_healthy                  every member answers `endpoint health`
#   etcd_endpoints                the client URLs, joined by commas
#   start_node I                  node I's faasd (and so its containerd);
#                                 waits for /healthz from the host
#   stop_node I                   SIGTERM to node I's faasd (it stops its
#                                 containerd; functions keep running)
#   kill_node I                   kill -9 of node I's faasd and containerd
#   in_node I CMD...              CMD in node I's network namespace
#   node_ns I, node_ip I, node_gw I, node_subnet I, node_dir I, node_auth I
#   node_socket I                 node I's containerd socket
#   node_ctr I ARGS...            ctr on node I's containerd, namespace openfaas-fn
#   node_import I TAR             imports an image archive into node I
#   node_deploy I NAME IMAGE      deploys through node I's API; the status
#   node_delete I NAME            removes through node I's API; the status
#   node_invoke I NAME BODY       POST /function/NAME on node I; the body
#   node_replica_ips I NAME       the IPs of NAME's replicas on node I
#   node_cgroups I                node I's replicas' cgroups (every hierarchy)
#   route_node_subnets            in each node, a route to every other
#                                 node's function subnet via that node
#   remove_node_functions I       every function of node I, through its API
#   node_cgroup_parent I          node I's FAASD_CGROUP_PARENT
#   cluster_teardown              the cleanup, run early (lib.sh's finds nothing)
#   cluster_leftovers [NAME...]   prints what is left on the host; false if any
# Pids: node_faasd_pid[I], node_etcd_pid[I]; node_containerd_pid I reads
# the pid faasd recorded for the containerd it started.
# shellcheck shell=bash
: "${faasd:?faasd must be set}" "${fwatchdog:?fwatchdog must be set}"

cluster_nodes=${cluster_nodes:-3}
cluster_bridge=faasdclu0
cluster_comment=faasd-cluster-e2e

# lib.sh's cleanup deletes this bridge and the host's rules naming 10.193.0.
e2e_bridge=$cluster_bridge
e2e_subnet=10.193.0.0/24
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# lib.sh's variables are for one daemon on the host: each node has its own
# (node_env). FAASD_CNI_BRIDGE and FAASD_CNI_SUBNET stay: lib.sh's cleanup
# reads them.
unset FAASD_STATE_DIR FAASD_PROVIDER_STATE_DIR FAASD_CONTAINERD_SOCKET FAASD_GATEWAY_ADDRESS \
  FAASD_GATEWAY_PORT FAASD_CNI_CONF_DIR FAASD_CNI_IPAM_DIR FAASD_NETNS_DIR
gw=
extra_cleanup=cluster_cleanup

declare -A node_faasd_pid=() node_etcd_pid=()

node_ns() { echo "faasd-node$1"; }
node_ip() { echo "10.193.0.$((10 + $1))"; }
node_gw() { echo "http://$(node_ip "$1"):8080"; }
node_subnet() { echo "10.194.$1.0/24"; }
node_dir() { echo "$tmp/node$1"; }
node_socket() { echo "$tmp/node$1/c.sock"; }
node_auth() { echo "admin:$(cat "$tmp/node$1/state/secrets/basic-auth-password" 2>/dev/null)"; }
# Each node's replicas go under a cgroup of its own (FAASD_CGROUP_PARENT):
# replica ids are drawn at random by each node, and the cleanup finds a
# node's replicas there.
cluster_cgroup=/faasd-clu
node_cgroup_parent() { echo "$cluster_cgroup/node$1"; }
# cluster_cgroup_tops: the nodes' cgroup tree in each hierarchy (v1) or
# the one (v2)
cluster_cgroup_tops() {
  compgen -G "/sys/fs/cgroup$cluster_cgroup"
  compgen -G "/sys/fs/cgroup/*$cluster_cgroup"
}
# node_cgroups I: node I's replicas' cgroup directories, in every hierarchy
node_cgroups() {
  local top
  for top in $(cluster_cgroup_tops); do
    [[ -d $top/node$1 ]] && find "$top/node$1" -mindepth 2 -maxdepth 2 -type d
  done
}
in_node() {
  local ns
  ns=$(node_ns "$1")
  shift
  nsenter --net="/run/netns/$ns" "$@"
}
node_ctr() {
  local i=$1
  shift
  ctr -a "$(node_socket "$i")" -n openfaas-fn "$@"
}
node_containerd_pid() {
  local words
  read -ra words 2>/dev/null <"$tmp/node$1/state/containerd/pid" || return 1
  echo "${words[0]}"
}

# --- the network

# What a run that died left (one run at a time: see cluster_setup's lock).
cluster_clean_stale() {
  local i ns p
  for i in $(seq 1 9); do
    ns=$(node_ns "$i")
    [[ -e /run/netns/$ns ]] || continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    nsenter --net="/run/netns/$ns" ss -K -tan state all >/dev/null 2>&1
    ip netns del "$ns" 2>/dev/null
  done
  for i in $(seq 1 9); do ip link del "fclu$i" 2>/dev/null; done
  ip link del "$cluster_bridge" 2>/dev/null
  cluster_host_rules_remove
  cluster_cgroups_remove
  # The directory of a run that died (a cluster's has node1/): what names
  # it, the mounts under it.
  local old
  for old in "${tmp%/*}"/faasd-e2e-*/node1; do
    old=${old%/node1}
    [[ -d $old/node1 && $old != "$tmp" ]] || continue
    pkill -KILL -f "$old/" 2>/dev/null
    grep " $old/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
      xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$old"
  done
}

# The nodes' cgroup tree: what still runs there is killed, with runc's
# state of those replicas (a replica its daemon never removed), then the
# directories go, deepest first (runc removes a replica's own only).
cluster_cgroups_remove() {
  local top dir
  for top in $(cluster_cgroup_tops); do
    find "$top" -name cgroup.procs | while read -r dir; do
      xargs -r kill -KILL <"$dir" 2>/dev/null
    done
    find "$top" -mindepth 3 -maxdepth 3 -type d | while read -r dir; do
      dir=${dir#"$top"/node*/} # <top>/node<i>/<namespace>/<replica id>
      [[ $dir == ?*/?* && $dir != */*/* && $dir != *..* ]] && rm -rf "/run/containerd/runc/$dir"
    done
    find "$top" -depth -type d | while read -r dir; do
      wait_for 5 rmdir "$dir" 2>/dev/null
    done
  done
}

cluster_host_rules_remove() {
  iptables -S FORWARD 2>/dev/null | grep -F -- "--comment $cluster_comment" | sed 's/^-A/-D/' |
    while read -r rule; do eval "iptables $rule" 2>/dev/null; done
}

cluster_setup() {
  local i ns
  # One run at a time (the bridge and the addresses are fixed): a lock on
  # this file on fd 9, held until the test exits (not passed to children).
  exec 9<"${BASH_SOURCE[0]}"
  flock -w 900 9 || { echo "another cluster test holds the lock"; return 1; }
  cluster_clean_stale
  ip link add "$cluster_bridge" type bridge || return 1
  ip addr add 10.193.0.1/24 dev "$cluster_bridge" || return 1
  ip link set "$cluster_bridge" up || return 1
  # Bridged traffic crosses the host's FORWARD chain (br_netfilter): let
  # the nodes' traffic through whatever the host's policy is.
  iptables -I FORWARD -i "$cluster_bridge" -o "$cluster_bridge" \
    -m comment --comment "$cluster_comment" -j ACCEPT || return 1
  for i in $(seq 1 "$cluster_nodes"); do
    ns=$(node_ns "$i")
    mkdir -p "$(node_dir "$i")"
    ip netns add "$ns" || return 1
    ip link add "fclu$i" type veth peer name "fclu${i}n" || return 1
    ip link set "fclu${i}n" netns "$ns" || return 1
    ip link set "fclu$i" master "$cluster_bridge" up || return 1
    in_node "$i" ip link set lo up || return 1
    in_node "$i" ip link set "fclu${i}n" name eth0 || return 1
    in_node "$i" ip addr add "$(node_ip "$i")/24" dev eth0 || return 1
    in_node "$i" ip link set eth0 up || return 1
  done
  wait_for 10 cluster_links_up
}

cluster_links_up() {
  local i
  for i in $(seq 1 "$cluster_nodes"); do
    in_node "$i" ip -o link show eth0 | grep -q 'state UP' || return 1
    ip -o link show "fclu$i" | grep -q "master $cluster_bridge .*state UP" || return 1
  done
}

# route_node_subnets: in each node, a route to every other node's function
# subnet through that node's address.
route_node_subnets() {
  local i j
  for i in $(seq 1 "$cluster_nodes"); do
    for j in $(seq 1 "$cluster_nodes"); do
      [[ $i == "$j" ]] && continue
      in_node "$i" ip route replace "$(node_subnet "$j")" via "$(node_ip "$j")" || return 1
    done
  done
}

# --- etcd

# joined WORD...: the words joined by commas
joined() {
  local IFS=,
  echo "$*"
}

etcd_endpoints() {
  local i out=()
  for i in $(seq 1 "$cluster_nodes"); do out+=("http://$(node_ip "$i"):2379"); done
  joined "${out[@]}"
}

start_etcd_cluster() {
  local i members=() initial ip
  for i in $(seq 1 "$cluster_nodes"); do members+=("node$i=http://$(node_ip "$i"):2380"); done
  initial=$(joined "${members[@]}")
  for i in $(seq 1 "$cluster_nodes"); do
    ip=$(node_ip "$i")
    mkdir -p "$tmp/node$i/etcd"
    setpriv --pdeathsig KILL -- nsenter --net="/run/netns/$(node_ns "$i")" \
      etcd --name "node$i" --data-dir "$tmp/node$i/etcd" \
      --listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
      --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
      --initial-cluster "$initial" --initial-cluster-state new \
      --initial-cluster-token "${tmp##*/}" --logger zap --log-outputs stderr \
      >"$tmp/node$i/etcd.log" 2>&1 9<&- &
    node_etcd_pid[$i]=$!
    disown
  done
  wait_for 60 etcd_healthy && return 0
  echo "etcd did not become healthy; node1's log:"
  tail -20 "$tmp/node1/etcd.log"
  return 1
}

etcd_healthy() {
  ETCDCTL_API=3 etcdctl --endpoints "$(etcd_endpoints)" --dial-timeout 1s --command-timeout 2s \
    endpoint health >/dev/null 2>&1
}

# --- faasd

# The environment of node I's faasd: lib.sh's, with every path and address
# the node's own.
node_env() {
  local i=$1 d
  d=$(node_dir "$i")
  # shellcheck disable=SC2086 # $node_extra_env is NAME=VALUE words
  echo FAASD_STATE_DIR="$d/state" FAASD_PROVIDER_STATE_DIR="$d/provider" \
    FAASD_CONTAINERD_SOCKET="$d/c.sock" FAASD_GATEWAY_ADDRESS=0.0.0.0 FAASD_GATEWAY_PORT=8080 \
    FAASD_CNI_BRIDGE=faasdfn0 FAASD_CNI_SUBNET="$(node_subnet "$i")" FAASD_CNI_CONF_DIR="$d/cni" \
    FAASD_CNI_IPAM_DIR="$d/ipam" FAASD_NETNS_DIR="$d/netns" FAASD_PULL_POLICY=Never \
    FAASD_MQTT_CLIENT_ID="faasd-node$i" FAASD_CGROUP_PARENT="$(node_cgroup_parent "$i")" \
    ${cluster_mode:+FAASD_CLUSTER_ETCD="$(etcd_endpoints)" FAASD_CLUSTER_NODE="node$i"} \
    ${cluster_mode:+FAASD_CLUSTER_ADDRESS="$(node_ip "$i")"} ${node_extra_env:-}
}

start_node() {
  local i=$1 p
  # shellcheck disable=SC2046 # node_env's words are NAME=VALUE, no spaces
  setpriv --pdeathsig KILL -- nsenter --net="/run/netns/$(node_ns "$i")" \
    env $(node_env "$i") "$faasd" up >>"$tmp/node$i/faasd.log" 2>&1 9<&- &
  p=$!
  disown
  node_faasd_pid[$i]=$p
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if curl -fsS -m 2 -o /dev/null "$(node_gw "$i")/healthz" 2>/dev/null; then return 0; fi
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  echo "node $i's faasd did not answer; its log:"
  tail -30 "$tmp/node$i/faasd.log"
  return 1
}

stop_node() {
  local i=$1 p=${node_faasd_pid[$1]:-}
  [[ -n $p ]] || return 0
  if kill -TERM "$p" 2>/dev/null; then
    wait_for 30 gone "$p" || kill -KILL "$p" 2>/dev/null
  fi
  node_faasd_pid[$i]=
}

# kill_node I: kill -9 of node I's faasd and of the containerd it started;
# the replicas (and their shims) go on running.
kill_node() {
  local i=$1 p c
  p=${node_faasd_pid[$i]:-}
  c=$(node_containerd_pid "$i") || return 1
  [[ -n $p ]] || return 1
  kill -KILL "$p" "$c" || return 1
  node_faasd_pid[$i]=
  wait_for 10 gone "$p" && wait_for 10 gone "$c"
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# --- functions

node_import() {
  node_ctr "$1" images import "$2" >/dev/null
}

node_deploy() { # I NAME IMAGE: the HTTP status (202)
  curl -s -m 90 -o "$tmp/node$1/deploy.out" -w '%{http_code}' -u "$(node_auth "$1")" \
    -d "{\"service\":\"$2\",\"image\":\"$3\"}" "$(node_gw "$1")/system/functions"
}

node_delete() { # I NAME: the HTTP status (202)
  curl -s -m 90 -o /dev/null -w '%{http_code}' -u "$(node_auth "$1")" -X DELETE \
    -d "{\"functionName\":\"$2\"}" "$(node_gw "$1")/system/functions"
}

node_invoke() { # I NAME BODY
  curl -fsS -m 10 --data-binary "$3" "$(node_gw "$1")/function/$2"
}

# node_replica_ips I NAME: host-local's leases name the replica (its CNI id
# is <namespace>-<replica id>, the replica id <name>-<6 hex>).
node_replica_ips() {
  local f
  for f in "$tmp/node$1/ipam"/*/10.194.*; do
    [[ -f $f ]] || continue
    # host-local writes "<id>\r\n<interface>"
    if [[ $(head -1 "$f" | tr -d '\r') =~ ^openfaas-fn-$2-[0-9a-f]{6}$ ]]; then basename "$f"; fi
  done
}

remove_node_functions() {
  local i=$1
  # lib.sh's, with this node's gateway and state
  local gw FAASD_STATE_DIR
  gw=$(node_gw "$i")
  FAASD_STATE_DIR=$tmp/node$i/state
  remove_all_functions
}

# --- the cleanup, before lib.sh's (which then kills what names $tmp,
# unmounts what is under it, deletes the bridge and removes $tmp)

# The inodes of the network namespaces that are the nodes' or the
# replicas' (mounted under $tmp).
cluster_netns_inodes() {
  local i f
  for i in $(seq 1 "$cluster_nodes"); do
    f=/run/netns/$(node_ns "$i")
    [[ -e $f ]] && stat -L -c %i "$f"
  done
  grep " $tmp/" /proc/self/mountinfo | awk '{print $5}' | while read -r f; do
    [[ $(stat -f -c %T "$f" 2>/dev/null) == nsfs ]] && stat -L -c %i "$f"
  done
}

cluster_cleanup() {
  local i p inodes link
  for i in $(seq 1 "$cluster_nodes"); do
    if [[ -n ${node_faasd_pid[$i]:-} ]] && kill -0 "${node_faasd_pid[$i]}" 2>/dev/null; then
      remove_node_functions "$i"
    fi
  done
  for i in $(seq 1 "$cluster_nodes"); do stop_node "$i"; done
  # etcd gracefully, while the network is there: a connection killed in
  # the middle leaves an orphan socket keeping the namespace alive for
  # minutes after it is deleted.
  for p in "${node_etcd_pid[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${node_etcd_pid[@]}"; do wait_for 10 gone "$p"; done
  # Whatever runs in a node's namespace or a replica's (a replica whose
  # daemon was killed, etcd, a containerd left behind).
  inodes=$(cluster_netns_inodes | sort -u)
  if [[ -n $inodes ]]; then
    for p in /proc/[0-9]*; do
      link=$(readlink "$p/ns/net" 2>/dev/null) || continue
      link=${link#net:[}
      grep -qxF "${link%]}" <<<"$inodes" && kill -KILL "${p#/proc/}" 2>/dev/null
    done
  fi
  cluster_cgroups_remove
  for i in $(seq 1 "$cluster_nodes"); do
    [[ -e /run/netns/$(node_ns "$i") ]] || continue
    # A connection whose peer is gone (faasd's to a removed replica, in
    # LAST-ACK) would keep the namespace alive for minutes: destroy them.
    in_node "$i" ss -K -tan state all >/dev/null 2>&1
    ip link del "fclu$i" 2>/dev/null # and its end in the namespace
    ip netns del "$(node_ns "$i")" 2>/dev/null
  done
  cluster_host_rules_remove
  exec 9<&-
}

# cluster_teardown: the cleanup, bridge included, run by the test itself so
# that cluster_leftovers can check it (lib.sh's trap then finds nothing).
cluster_teardown() {
  cluster_cleanup
  ip link del "$cluster_bridge" 2>/dev/null
  true
}

# cluster_leftovers: prints what the cluster left on the host; false if
# anything: namespaces, links, the host's rule, processes naming $tmp,
# mounts under it, replicas' cgroups and runc state of NAME (the functions
# deployed, given as arguments).
cluster_leftovers() {
  local left=() name found
  found=$(ip netns list | grep '^faasd-node')
  [[ -n $found ]] && left+=("namespaces: $found")
  found=$(ip -o link show | grep -oE ": (fclu[0-9]n?|$cluster_bridge)[@:]")
  [[ -n $found ]] && left+=("links: $found")
  found=$(iptables -S FORWARD | grep -F -- "$cluster_comment")
  [[ -n $found ]] && left+=("the host's rule: $found")
  found=$(pgrep -af "$tmp")
  [[ -n $found ]] && left+=("processes: $found")
  found=$(grep " $tmp" /proc/self/mountinfo | awk '{print $5}')
  [[ -n $found ]] && left+=("mounts: $found")
  found=$(cluster_cgroup_tops)
  [[ -n $found ]] && left+=("cgroups: $found")
  for name in "$@"; do
    found=$(compgen -G "/sys/fs/cgroup/*/faasd*/openfaas-fn/$name-*")
    [[ -n $found ]] && left+=("cgroups: $found")
    found=$(compgen -G "/run/containerd/runc/openfaas-fn/$name-*")
    [[ -n $found ]] && left+=("runc's state: $found")
  done
  ((${#left[@]} == 0)) && return 0
  printf '  left: %s\n' "${left[@]}"
  return 1
}
