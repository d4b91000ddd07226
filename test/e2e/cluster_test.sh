#!/usr/bin/env bash
# End to end: a cluster of three faasd nodes on one machine (cluster_lib.sh),
# each a network namespace with its own containerd, etcd member and faasd,
# joined through etcd (FAASD_CLUSTER_*).
#   - every node sees the three nodes and one leader (/system/cluster,
#     `faasd cluster status`);
#   - a function deployed through node 1 with 3 replicas lands one per node,
#     each in the node's own containerd and cgroups, and every node's gateway
#     answers for it, from replicas on every node (the routes faasd made);
#   - a secret reaches only the nodes that run a function using it;
#   - a function labelled scale.zero and called only through a node that
#     does not schedule stays up while called, goes to zero when not, and a
#     call through that node wakes it;
#   - kill -9 of node 3's faasd and containerd: within the lease's bound the
#     survivors answer 200, the replicas are back to 3 on the two of them,
#     and asynchronous requests node 3 accepted before the kill complete,
#     each counted by its call id;
#   - node 3 started again rejoins with nothing stale left (its old replica
#     removed);
#   - with every etcd member killed, every node still serves its functions
#     and a deploy is refused with 503 naming etcd; with etcd back, deploys
#     work again;
#   - a removal through node 2 leaves no replica anywhere;
#   - the teardown leaves nothing.
#
# Usage: cluster_test.sh FAASD FWATCHDOG ASYNC_HELPER  (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
helper=$(realpath "$3")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 iptables ss nsenter setpriv flock etcd \
  etcdctl; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done
[[ -x /usr/lib/cni/bridge ]] || { echo "SKIP: needs the CNI plugins in /usr/lib/cni"; exit 77; }

cluster_mode=1
# Callbacks go to a receiver on the host's end of the nodes' bridge.
node_extra_env="FAASD_CALLBACK_ALLOW=10.193.0.1 FAASD_SCALER_PARK=false"
# shellcheck source-path=SCRIPTDIR source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
started=$SECONDS
nodes=$(seq 1 "$cluster_nodes")
lease_ttl=5 # FAASD_CLUSTER_LEASE_TTL's default

check "the bridge and the nodes' namespaces are up" cluster_setup
check "the etcd members form one healthy cluster" start_etcd_cluster
for i in $nodes; do check "node $i's faasd joins the cluster" start_node "$i"; done

status() { # I: node I's /system/cluster
  curl -fsS -m 10 -u "$(node_auth "$1")" "$(node_gw "$1")/system/cluster"
}
status_field() { # I PYTHON-EXPRESSION over s (the status)
  status "$1" | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}
sees_nodes() { # I N: node I lists N nodes and one leader among them
  [[ $(status_field "$1" "len(s['nodes']), sum(n['leader'] for n in s['nodes'])") == "$2 1" ]]
}
for i in $nodes; do check "node $i sees three nodes and one leader" wait_for 20 sees_nodes "$i" 3; done
cli_status() {
  export OPENFAAS_CONFIG=$tmp/openfaas OPENFAAS_URL
  OPENFAAS_URL=$(node_gw 2)
  "$faasd" login --password-stdin <"$tmp/node2/state/secrets/basic-auth-password" >/dev/null &&
    "$faasd" cluster status >"$tmp/status.out" 2>&1 &&
    [[ $(grep -cE '^node[123] ' "$tmp/status.out") == 3 ]]
}
check "faasd cluster status lists the three nodes" cli_status
same_password() { [[ $(cat "$tmp"/node*/state/secrets/basic-auth-password | sort -u | wc -l) == 1 ]]; }
check "the three nodes share the first one's credentials" same_password

# --- a function with three replicas
image_applets=(cat sh env ifconfig sleep)
build_image faasd.test/echo:1 "$tmp/img" "${image_applets[@]}"
for i in $nodes; do check "node $i imports the test image" node_import "$i" "$img/image.tar"; done

deploy() { # I JSON: the status of POST /system/functions on node I
  curl -s -m 90 -o "$tmp/deploy.out" -w '%{http_code}' -u "$(node_auth "$1")" -d "$2" \
    "$(node_gw "$1")/system/functions"
}
check "node 1 deploys whereami with 3 replicas" test "$(deploy 1 '{"service":"whereami",
  "image":"faasd.test/echo:1","envProcess":"ifconfig eth0",
  "labels":{"com.openfaas.scale.min":"3","com.openfaas.scale.max":"3"}}')" = 202
tasks_on() { # I NAME: how many tasks of NAME node I's containerd runs
  node_ctr "$1" tasks ls -q 2>/dev/null | grep -c "^$2-"
}
one_each() { # NAME: one task on each node
  local i
  for i in $nodes; do [[ $(tasks_on "$i" "$1") == 1 ]] || return 1; done
}
check "whereami runs one replica on each node" wait_for 60 one_each whereami
ready_replicas() { # I NAME: availableReplicas as node I's API tells
  curl -fsS -m 10 -u "$(node_auth "$1")" "$(node_gw "$1")/system/function/$2" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["availableReplicas"])'
}
ready_is() { [[ $(ready_replicas "$1" "$2") == "$3" ]]; }
for i in $nodes; do check "node $i's API shows 3 ready replicas" wait_for 30 ready_is "$i" whereami 3; done
in_own_cgroup() { # I: node I's replica is under node I's FAASD_CGROUP_PARENT
  local pid
  read -r _ pid _ < <(node_ctr "$1" tasks ls | grep '^whereami-')
  grep -q "$(node_cgroup_parent "$1")/" "/proc/$pid/cgroup"
}
for i in $nodes; do check "node $i's replica is in node $i's cgroup" in_own_cgroup "$i"; done
answered_by() { # I CALLS: the node subnets (10.194.N) that answered CALLS calls through node I
  local n
  for n in $(seq 1 "$2"); do
    curl -fsS -m 10 -d '' "$(node_gw "$1")/function/whereami" | grep -oE 'addr:10\.194\.[0-9]+' |
      cut -d. -f3
  done | sort -u | tr '\n' ' '
}
for i in $nodes; do
  check "node $i's gateway answers from replicas on all three nodes" \
    test "$(answered_by "$i" 12)" = "1 2 3 "
done
routed() { in_node 1 ip route show proto 250 | grep -c 'via 10.193.0.1[23]'; }
check "node 1 routes the other two nodes' subnets (proto 250)" test "$(routed)" = 2

# --- a secret reaches only the nodes that run its function
curl -fsS -o /dev/null -u "$(node_auth 2)" -d '{"name":"token","value":"s3cret"}' \
  "$(node_gw 2)/system/secrets"
check "node 1 deploys a one-replica function using the secret" test "$(deploy 1 '{
  "service":"withsecret","image":"faasd.test/echo:1","secrets":["token"]}')" = 202
secret_nodes() { # the nodes holding the secret's file
  local i
  for i in $nodes; do
    [[ -n $(find "$tmp/node$i/provider" -path '*openfaas-fn*' -name token 2>/dev/null) ]] &&
      echo -n "$i "
  done
}
runs_withsecret() { for i in $nodes; do [[ $(tasks_on "$i" withsecret) == 1 ]] && echo -n "$i "; done; }
check "the secret is on the one node that runs its function, only" \
  test "$(secret_nodes)" = "$(runs_withsecret)"
never_logged() { ! grep -q s3cret "$tmp"/node*/faasd.log; }
check "no node logs the secret's value" never_logged

# --- scale to zero across nodes: the scaler runs on the elected node only,
# and counts the calls every node's gateway serves
leader=$(status_field 1 "[n['name'] for n in s['nodes'] if n['leader']][0]")
other=$((${leader#node} % 3 + 1)) # a node that is not the leader
check "node 1 deploys idle (scale.zero after 4 s idle)" test "$(deploy 1 '{"service":"idle",
  "image":"faasd.test/echo:1","labels":{"com.openfaas.scale.zero":"true",
  "com.openfaas.scale.zero-duration":"4s"}}')" = 202
busy_for() { # SECONDS: idle is called through node $other twice a second, and never parked
  local end=$((SECONDS + $1))
  while ((SECONDS < end)); do
    [[ $(curl -s -m 10 -o /dev/null -w '%{http_code}' -d '' "$(node_gw "$other")/function/idle") == 200 ]] ||
      return 1
    [[ $(ready_replicas 1 idle) == 1 ]] || return 1
    sleep 0.5
  done
}
check "idle, called only through node $other (not the leader, $leader), stays up for 10 s" busy_for 10
check "idle goes to zero once nobody calls it" wait_for 30 ready_is 1 idle 0
check "a call through node $other wakes it" test "$(curl -s -m 60 -o /dev/null -w '%{http_code}' \
  -d '' "$(node_gw "$other")/function/idle")" = 200

# --- kill -9 of node 3, with asynchronous requests it accepted and had not
# run: a function that takes 2 s a call, so that most are still queued or
# running when node 3 dies.
check "node 1 deploys slow (2 s a call) with 3 replicas" test "$(deploy 1 '{"service":"slow",
  "image":"faasd.test/echo:1","envProcess":"sleep 2","labels":{"com.openfaas.scale.min":"3",
  "com.openfaas.scale.max":"3"}}')" = 202
check "slow has 3 ready replicas" wait_for 60 ready_is 1 slow 3
python3 "$helper" receiver 0 "$tmp/callbacks" 10.193.0.1 >"$tmp/receiver.log" 2>&1 &
receiver=$!
wait_for 10 test -s "$tmp/callbacks.port"
callback="http://10.193.0.1:$(cat "$tmp/callbacks.port")/cb"
async_ids=()
for n in $(seq 1 20); do
  id=$(curl -s -m 10 -D - -o /dev/null -H "X-Callback-Url: $callback" -d "async $n" \
    "$(node_gw 3)/async-function/slow" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-call-id" {print $2}')
  [[ -n $id ]] && async_ids+=("$id")
done
check "node 3 accepts 20 asynchronous requests" test "${#async_ids[@]}" = 20
done_before=$(python3 "$helper" count "$tmp/callbacks" "${async_ids[@]}")
check "kill -9 of node 3's faasd and containerd" kill_node 3
killed=$SECONDS
three_on_survivors() {
  local fn
  for fn in whereami slow; do
    [[ $(($(tasks_on 1 $fn) + $(tasks_on 2 $fn))) == 3 ]] && ready_is 1 $fn 3 || return 1
  done
}
check "within the bound the replicas are back to 3 on nodes 1 and 2" \
  wait_for $((lease_ttl * 2 + 30)) three_on_survivors
echo "  (back to 3 replicas $((SECONDS - killed)) s after the kill)"
all_200() { # I CALLS: every call through node I answers 200
  local n code
  for n in $(seq 1 "$2"); do
    code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -d '' "$(node_gw "$1")/function/whereami")
    [[ $code == 200 ]] || { echo "  call $n through node $1: $code"; return 1; }
  done
}
for i in 1 2; do check "node $i answers 200, 30 calls out of 30" all_200 "$i" 30; done
not_from_3() { [[ $(answered_by 1 12) != *3* ]]; }
check "node 3's replica left every rotation" not_from_3
callbacks_done() {
  python3 "$helper" count "$tmp/callbacks" "${async_ids[@]}" | grep -qx "20 20"
}
check "the 20 requests node 3 accepted all complete, one callback per call id" \
  wait_for 60 callbacks_done
echo "  (call ids called back, callbacks: $done_before at the kill," \
  "$(python3 "$helper" count "$tmp/callbacks" "${async_ids[@]}") now)"

# --- node 3 comes back
check "node 3 starts again" start_node 3
check "node 3 rejoins: three nodes again" wait_for 20 sees_nodes 1 3
no_stale() { [[ $(tasks_on 3 whereami) == 0 ]]; }
check "node 3's old replica of whereami is gone (not placed there any more)" wait_for 30 no_stale
check "node 3's gateway answers for whereami" test "$(answered_by 3 3)" != ""
check "the replicas stay 3" ready_is 3 whereami 3

del() {
  curl -s -m 60 -o /dev/null -w '%{http_code}' -u "$(node_auth "$2")" -X DELETE \
    -d "{\"functionName\":\"$1\"}" "$(node_gw "$2")/system/functions"
}

# --- etcd unreachable: every node serves what it runs, and refuses changes
for i in $nodes; do kill -KILL "${node_etcd_pid[$i]}"; done
for i in $nodes; do wait_for 10 gone "${node_etcd_pid[$i]}"; done
for i in $nodes; do
  check "node $i answers for whereami with etcd down" all_200 "$i" 10
done
refused() { # a deploy is 503, naming etcd, within the client's deadline
  local t0=$SECONDS
  [[ $(deploy 2 '{"service":"late","image":"faasd.test/echo:1"}') == 503 ]] &&
    grep -q "etcd is unreachable" "$tmp/deploy.out" && ((SECONDS - t0 < 30))
}
check "a deploy with etcd down is refused with 503, naming etcd" refused
check "the etcd members start again on their data" start_etcd_cluster
check "node 1 sees three nodes again" wait_for 30 sees_nodes 1 3
check "node 2 deploys again once etcd answers" test "$(deploy 2 '{"service":"late",
  "image":"faasd.test/echo:1"}')" = 202
check "whereami is still at 3 ready replicas" wait_for 30 ready_is 1 whereami 3
check "node 2 removes late" test "$(del late 2)" = 202

# --- removal through node 2 leaves no replica anywhere
check "node 2 removes whereami" test "$(del whereami 2)" = 202
none_left() { local i; for i in $nodes; do [[ $(tasks_on "$i" whereami) == 0 ]] || return 1; done; }
check "no node runs whereami any more" wait_for 30 none_left
check "node 1 removes withsecret" test "$(del withsecret 1)" = 202
check "node 1 removes slow" test "$(del slow 1)" = 202
check "node 1 removes idle" test "$(del idle 1)" = 202

kill "$receiver" 2>/dev/null
cluster_teardown
check "the teardown leaves nothing behind" cluster_leftovers whereami withsecret slow idle
echo "cluster test took $((SECONDS - started)) s"
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
