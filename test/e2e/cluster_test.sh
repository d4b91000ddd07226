#!/usr/bin/env bash
# End to end: three faasd nodes on one machine (cluster_lib.sh), each a
# network namespace with its own containerd, etcd member and faasd, still
# in single-VM mode. Checks that the three do not get in each other's way:
# the etcd members form one healthy cluster; each gateway answers from the
# host; the same function name deployed on all three serves on each, with
# its replicas in the node's own containerd, cgroups and addresses; a
# replica on node 2 is reachable from node 1 once the nodes route each
# other's function subnets; kill -9 of node 3's faasd and containerd
# leaves the other two serving (and node 3's replica, reached from node
# 1), and node 3 started again serves its function again; removing the
# function on one node leaves the others'; the teardown leaves nothing.
#
# Usage: cluster_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 iptables ss nsenter setpriv flock etcd \
  etcdctl; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done
[[ -x /usr/lib/cni/bridge ]] || { echo "SKIP: needs the CNI plugins in /usr/lib/cni"; exit 77; }

# shellcheck source-path=SCRIPTDIR source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
started=$SECONDS
nodes=$(seq 1 "$cluster_nodes")

check "the bridge and the nodes' namespaces are up" cluster_setup
check "the etcd members form one healthy cluster" start_etcd_cluster
three_members() {
  [[ $(ETCDCTL_API=3 etcdctl --endpoints "$(etcd_endpoints)" member list | wc -l) == 3 ]]
}
check "etcd lists three members" three_members

for i in $nodes; do check "node $i's faasd starts in its namespace" start_node "$i"; done
for i in $nodes; do
  check "node $i's gateway answers /healthz at $(node_ip "$i")" \
    bash -c "curl -fsS -m 5 '$(node_gw "$i")/healthz' | grep -q OK"
done
own_containerd() { # I: the containerd node I's faasd started, in node I's namespace
  local c
  c=$(node_containerd_pid "$1") || return 1
  [[ $(readlink "/proc/$c/ns/net") == "$(readlink "/proc/${node_faasd_pid[$1]}/ns/net")" ]] &&
    grep -q "$tmp/node$1/" "/proc/$c/cmdline"
}
for i in $nodes; do
  check "node $i runs its own containerd in its namespace" own_containerd "$i"
done

# --- the same function on every node
build_image faasd.test/echo:1
for i in $nodes; do check "node $i imports the test image" node_import "$i" "$img/image.tar"; done
for i in $nodes; do
  check "node $i deploys nodeecho" test "$(node_deploy "$i" nodeecho faasd.test/echo:1)" = 202
done
for i in $nodes; do
  check "node $i's nodeecho answers through its gateway" \
    test "$(node_invoke "$i" nodeecho "hello $i")" = "hello $i"
done
in_subnet() { # I: nodeecho's replica on node I has an address of node I's subnet
  local ips
  ips=$(node_replica_ips "$1" nodeecho)
  [[ $(wc -w <<<"$ips") == 1 && $ips == 10.194.$1.* ]]
}
for i in $nodes; do check "node $i's replica is on 10.194.$i.0/24" in_subnet "$i"; done
own_tasks() { # I: node I's containerd runs one nodeecho task
  [[ $(node_ctr "$1" tasks ls -q | grep -c '^nodeecho-') == 1 ]]
}
for i in $nodes; do check "node $i's containerd runs one nodeecho task" own_tasks "$i"; done

# What the nodes share on the host, keyed by the replica's id (nodeecho-
# and 6 random hex digits, drawn by each node): runc's state, the cgroups.
# The shims' sockets (/run/containerd/s) are keyed by the containerd's
# socket too.
replica_ids() { local i; for i in $nodes; do node_ctr "$i" tasks ls -q | grep '^nodeecho-'; done; }
ids_apart() { [[ $(replica_ids | sort -u | wc -l) == 3 ]]; }
check "the three replicas' ids differ" ids_apart
runc_apart() {
  local id
  for id in $(replica_ids); do [[ -d /run/containerd/runc/openfaas-fn/$id ]] || return 1; done
}
check "runc's state of each is its own" runc_apart
own_cgroup() { # I: node I's replica runs in a cgroup under node I's FAASD_CGROUP_PARENT
  local id pid dir dirs
  read -r id pid _ < <(node_ctr "$1" tasks ls | grep '^nodeecho-')
  dirs=$(node_cgroups "$1")
  [[ -n $dirs ]] || return 1
  for dir in $dirs; do [[ $dir == */openfaas-fn/$id ]] || return 1; done
  for dir in $dirs; do grep -qx "$pid" "$dir/cgroup.procs" && return 0; done
  return 1
}
for i in $nodes; do check "node $i's replica is in node $i's cgroup" own_cgroup "$i"; done
own_shim() { # I: nodeecho's shim on node I speaks to node I's containerd
  pgrep -f "containerd-shim-runc-v2 .*-address $(node_socket "$1")" >/dev/null
}
for i in $nodes; do check "node $i's shim is its containerd's" own_shim "$i"; done

# --- routing between the nodes
cross() { # FROM TO: from node FROM's namespace, a call to node TO's replica
  local ip
  ip=$(node_replica_ips "$2" nodeecho)
  in_node "$1" curl -fsS -m 5 --data-binary "$1 to $2" "http://$ip:8080/"
}
no_cross() { [[ -n $(node_replica_ips 2 nodeecho) ]] && ! cross 1 2 2>/dev/null; }
check "without routes node 1 does not reach node 2's replica" no_cross
check "route_node_subnets adds the routes" route_node_subnets
check "node 1 reaches node 2's replica" test "$(cross 1 2)" = "1 to 2"
check "node 3 reaches node 1's replica" test "$(cross 3 1)" = "3 to 1"
host_forwarded=$(iptables -L FORWARD -v -n -x | awk -v c="$cluster_comment" '$0 ~ c {print $1}')
echo "  (the host's FORWARD chain saw $host_forwarded packets between the nodes)"

# --- kill -9 of node 3
check "kill -9 of node 3's faasd and containerd" kill_node 3
for i in 1 2; do
  check "node $i's nodeecho answers with node 3 down" \
    test "$(node_invoke "$i" nodeecho "still $i")" = "still $i"
done
check "node 3's replica still answers node 1, its daemons dead" test "$(cross 1 3)" = "1 to 3"
check "node 3 starts again" start_node 3
answers_again() { [[ $(node_invoke 3 nodeecho again 2>/dev/null) == again ]]; }
check "node 3's nodeecho answers again" wait_for 30 answers_again

# --- removing on one node leaves the others
check "node 1 removes nodeecho" test "$(node_delete 1 nodeecho)" = 202
for i in 2 3; do
  check "node $i's nodeecho still answers" test "$(node_invoke "$i" nodeecho "left $i")" = "left $i"
done

# --- the cleanup leaves nothing
cluster_teardown
check "the teardown leaves nothing behind" cluster_leftovers nodeecho
echo "cluster test took $((SECONDS - started)) s"
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
