#!/usr/bin/env bash
# The cluster figures of bench/RESULTS.md, in one sitting on one machine:
#  - single node, light and heavy, A/B against BASELINE (a server binary of
#    an earlier commit; skipped when unset), alternating runs;
#  - heavy (1,000 clients, one room, 50 broadcasts/s) on one node against
#    the same spread over three nodes;
#  - idle connections: 19,000 on one node, then 3 x 19,000 on three nodes
#    (one actorchat-bench per node: each process has its own open-files
#    limit);
#  - node faults: chaos --cluster 3 (kill, restart, cut, heal, blackhole).
# Usage: [BUILD=build-rel] [BASELINE=path/to/actorchat] [RUNS=2] \
#          bench/cluster_results.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
server=$build/actorchat
tool=$build/bench/actorchat-bench
runs=${RUNS:-2}
out=bench/results
mkdir -p "$out"
# shellcheck source=bench/servers.sh
source bench/servers.sh
trap stop_all EXIT
start_cluster() { # three nodes on 18091..18093, cluster ports 17091..
  start_node "$server" 18091 --cluster-port 17091 --node-name c1
  start_node "$server" 18092 --cluster-port 17092 --node-name c2 --join 127.0.0.1:17091
  start_node "$server" 18093 --cluster-port 17093 --node-name c3 --join 127.0.0.1:17091
  for port in 18091 18092 18093; do
    for _ in $(seq 100); do
      curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^chat_cluster_nodes 3' && break
      sleep 0.1
    done
  done
}
one=http://127.0.0.1:18090
three=http://127.0.0.1:18091,http://127.0.0.1:18092,http://127.0.0.1:18093
light=(--clients 200 --senders 10 --rate 100 --duration 10 --quiet)
heavy=(--clients 1000 --senders 10 --rate 50 --duration 10 --quiet)

for run in $(seq "$runs"); do
  for who in ${BASELINE:+baseline} new; do
    bin=$server
    [[ $who == baseline ]] && bin=$BASELINE
    for load in light heavy; do
      echo "== $who $load, run $run"
      start_node "$bin" 18090
      if [[ $load == light ]]; then args=("${light[@]}"); else args=("${heavy[@]}"); fi
      "$tool" load $one "${args[@]}" --json "$out/ab-$who-$load-$run.json"
      stop_all
    done
  done
  echo "== heavy over three nodes, run $run"
  start_cluster
  "$tool" load $three "${heavy[@]}" --json "$out/cluster-heavy-$run.json"
  stop_all
done

echo "== idle: 19,000 on one node"
start_node "$server" 18090
"$tool" idle $one --clients 19000 --hold 3 --quiet --json "$out/idle-one.json"
stop_all

echo "== idle: 3 x 19,000 on three nodes"
start_cluster
bench_pids=()
for port in 18091 18092 18093; do
  "$tool" idle "http://127.0.0.1:$port" --clients 19000 --hold 20 --quiet \
    --json "$out/idle-three-$port.json" &
  bench_pids+=($!)
done
sleep 12
for port in 18091 18092 18093; do
  curl -s "http://127.0.0.1:$port/metrics" |
    grep -E '^chat_(connections|cluster_nodes) ' |
    sed "s/^/$port /"
done
wait "${bench_pids[@]}"
stop_all

echo "== node faults: chaos --cluster 3"
"$tool" chaos --cluster 3 --server-binary "$server" --duration 20 --seed 7 \
  --json "$out/chaos-cluster.json"
