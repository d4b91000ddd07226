#!/usr/bin/env bash
# A cluster of three nodes on one machine (test/e2e/cluster_lib.sh: each
# node a network namespace with its own etcd member, containerd and faasd),
# measured through node 1's gateway:
#   invoke       wrk (2 threads, 50 connections) on a function with 3
#                replicas spread one per node, against the same gateway
#                with a function of 3 replicas all on node 1 (constraint
#                kubernetes.io/hostname=node1), in turns; req/s and p99;
#   recovery     kill -9 of the faasd and containerd of a node (2 or 3) that
#                runs a replica of the spread function → its 3 replicas
#                ready again on the other two (lease TTL + scheduling +
#                start), KILLS rounds (the node rejoins between them);
#   etcd writes  the store's revisions a deploy (3 replicas, until ready)
#                and an asynchronous request (accepted, run, called back)
#                take, and the async accepts/s through node 1 (wrk POST);
#                the baseline is etcd's own put rate here (bench_etcd: 50
#                writers through the project's etcd client, 5 s).
# Prints each round, the medians and the ratios. Runs as root (network
# namespaces, containerd); load goes only to the nodes' addresses.
#
#   bench/cluster/run.sh [BUILD_DIR]   (env: DURATION=5s RUNS=5 KILLS=3)
set -uo pipefail

build=$(realpath "${1:-build}")
faasd=$build/faasd
fwatchdog=$build/src/watchdog/fwatchdog
duration=${DURATION:-5s}
runs=${RUNS:-5}
kills=${KILLS:-3}
etcd_bench=$build/test/unit/etcd/bench_etcd
[[ -x $faasd && -x $fwatchdog && -x $etcd_bench ]] ||
  { echo "build first: ninja -C $build faasd src/watchdog/fwatchdog test/unit/etcd/bench_etcd" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

here=$(dirname "$(realpath "$0")")
cluster_mode=1
node_extra_env="FAASD_SCALER=false FAASD_CALLBACK_ALLOW=10.193.0.1"
# shellcheck source-path=SCRIPTDIR source=../../test/e2e/cluster_lib.sh
source "$here/../../test/e2e/cluster_lib.sh"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$here/../lib.sh"

fail() { echo "bench: $*" >&2; exit 1; }
cluster_setup || fail "no namespaces"
start_etcd_cluster || fail "no etcd cluster"
for i in 1 2 3; do start_node "$i" >/dev/null || fail "node $i did not start"; done
build_image faasd.test/echo:1 "$tmp/img" >/dev/null
for i in 1 2 3; do node_import "$i" "$tmp/img/image.tar" >/dev/null || fail "import on node $i"; done

revision() {
  ETCDCTL_API=3 etcdctl --endpoints "$(node_ip 1):2379" endpoint status -w json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])'
}
deploy() { # JSON
  curl -s -m 90 -o /dev/null -w '%{http_code}' -u "$(node_auth 1)" -d "$1" \
    "$(node_gw 1)/system/functions"
}
ready() { # NAME: availableReplicas through node 1
  curl -fsS -m 10 -u "$(node_auth 1)" "$(node_gw 1)/system/function/$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["availableReplicas"])'
}
ready_is() { [[ $(ready "$1") == "$2" ]]; }
tasks_on() { node_ctr "$1" tasks ls -q 2>/dev/null | grep -c "^$2-"; }

# --- a deploy's writes
before=$(revision)
[[ $(deploy '{"service":"spread","image":"faasd.test/echo:1",
  "labels":{"com.openfaas.scale.min":"3"}}') == 202 ]] || fail "deploy spread"
wait_for 60 ready_is spread 3 || fail "spread not ready"
deploy_writes=$(($(revision) - before))
[[ $(deploy '{"service":"local","image":"faasd.test/echo:1","constraints":
  ["kubernetes.io/hostname=node1"],"labels":{"com.openfaas.scale.min":"3"}}') == 202 ]] ||
  fail "deploy local"
wait_for 60 ready_is local 3 || fail "local not ready"
[[ $(tasks_on 1 local) == 3 ]] || fail "local is not all on node 1"
for i in 1 2 3; do [[ $(tasks_on "$i" spread) == 1 ]] || fail "spread is not one per node"; done

# --- invoke: spread over nodes against local, in turns
echo "invoke through node 1's gateway (wrk -t2 -c50 -d$duration), req/s p50 ms p99 ms"
for round in $(seq 1 "$runs"); do
  order="local spread"
  ((round % 2 == 0)) && order="spread local"
  for fn in $order; do
    read -r rps p50 p99 < <(wrk_measure "$(node_gw 1)/function/$fn")
    echo "$rps" >>"$tmp/rps.$fn"
    echo "$p99" >>"$tmp/p99.$fn"
    echo "  round $round $fn: $rps $p50 $p99"
  done
done
local_rps=$(median <"$tmp/rps.local")
spread_rps=$(median <"$tmp/rps.spread")

# --- async: accepts/s through node 1, then the writes per request
cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "async"
LUA
before=$(revision)
timeout 60 wrk -t2 -c50 -d"$duration" -s "$tmp/post.lua" "$(node_gw 1)/async-function/spread" \
  >"$tmp/wrk.async" 2>&1
accepts=$(awk '/Requests\/sec:/ { printf "%.0f", $2 }' "$tmp/wrk.async")
accepted=$(awk '/requests in/ { print $1 }' "$tmp/wrk.async")
unfinished() { # any request pending, running or retrying, as node 1's API lists them
  local status
  for status in pending running retrying; do
    curl -fsS -m 10 -u "$(node_auth 1)" \
      "$(node_gw 1)/system/async-requests?status=$status&limit=1" |
      python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin) else 1)' && return 0
  done
  return 1
}
drained() { ! unfinished; }
drain_start=$SECONDS
wait_for 600 drained || echo "  (the queue did not drain within 600 s)"
async_writes=$(python3 -c "print(f'{($(revision) - $before) / max(1, $accepted):.1f}')")
echo "async: $accepts accepts/s through node 1 ($accepted accepted, drained $((SECONDS - drain_start)) s later)"

# --- etcd's own write rate: 50 writers through the project's client
put_rate=$("$etcd_bench" "$(etcd_endpoints)" 50 5 | awk '/^puts_per_s/ { print $2 }')

# --- recovery after kill -9 of a node
echo "recovery: kill -9 of a node running a replica of spread → 3 ready on the other two"
three_without() { # VICTIM: spread's 3 replicas ready on the other nodes
  local i n=0
  for i in 1 2 3; do [[ $i == "$1" ]] || n=$((n + $(tasks_on "$i" spread))); done
  ((n == 3)) && ready_is spread 3
}
settled() { # every node up, and spread at 3 ready
  [[ $(curl -fsS -m 5 -u "$(node_auth 1)" "$(node_gw 1)/system/cluster" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["nodes"]))') == 3 ]] &&
    ready_is spread 3
}
for round in $(seq 1 "$kills"); do
  victim=
  for i in 2 3; do [[ $(tasks_on "$i" spread) -ge 1 ]] && victim=$i; done
  [[ -n $victim ]] || fail "no node but node 1 runs spread"
  kill_node "$victim" || fail "kill node $victim"
  t0=$(date +%s.%N)
  wait_for 120 three_without "$victim" || fail "no recovery in round $round"
  took=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
  echo "$took" >>"$tmp/recover"
  echo "  round $round (node $victim): ${took} s"
  start_node "$victim" >/dev/null || fail "node $victim did not start again"
  wait_for 60 settled || fail "the cluster did not settle"
done

echo
echo "medians over $runs rounds:"
printf '  %-42s %10s\n' "invoke, 3 replicas on node 1 (req/s)" "$local_rps" \
  "invoke, 3 replicas over 3 nodes (req/s)" "$spread_rps" \
  "  p99 local / spread (ms)" "$(median <"$tmp/p99.local") / $(median <"$tmp/p99.spread")"
python3 -c "print(f'  {\"spread / local\":<42} {$spread_rps / $local_rps:10.2f}')"
printf '  %-42s %10s\n' "kill -9 → 3 replicas again (s, median)" "$(median <"$tmp/recover")" \
  "  of which the lease TTL (s)" 5 \
  "etcd writes per deploy (3 replicas, ready)" "$deploy_writes" \
  "etcd writes per async request (to callback)" "$async_writes" \
  "async accepts/s through node 1" "$accepts" \
  "etcd writes/s those accepts need" "$(python3 -c "print(round($accepts * $async_writes))")" \
  "etcd puts/s, 50 writers (the floor)" "$put_rate"
cluster_teardown
