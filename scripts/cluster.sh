#!/usr/bin/env bash
# Runs a cluster of N local actorchat nodes until Ctrl-C, which stops all.
#   scripts/cluster.sh 3                  nodes n1..n3
#   scripts/cluster.sh 3 --log-level warn   extra flags go to every node
# Node i serves HTTP on 8079+i and links on cluster port 7079+i; every node
# joins n1. HTTP_BASE / CLUSTER_BASE move the ports (defaults 8080 / 7080).
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=${1:-3}
if ! [[ "$nodes" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/cluster.sh N [actorchat flags...]" >&2
  exit 2
fi
shift || true
http_base=${HTTP_BASE:-8080}
cluster_base=${CLUSTER_BASE:-7080}

# Build like scripts/run.sh; an existing build directory keeps its settings.
scripts/install-deps.sh
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DACTORCHAT_TESTS=OFF
fi
cmake --build build -j2 --target actorchat

pids=()
stop_all() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    echo "stopping ${#pids[@]} nodes"
    # SIGTERM: each node stops gracefully (sessions closed with 1001).
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

for ((i = 1; i <= nodes; i++)); do
  join=()
  ((i == 1)) || join=(--join "127.0.0.1:$cluster_base")
  # Each line of a node's log starts with its name. The prefixing sed
  # ignores Ctrl-C so that the nodes' shutdown lines still show.
  build/actorchat --port $((http_base + i - 1)) \
    --cluster-port $((cluster_base + i - 1)) --node-name "n$i" \
    "${join[@]}" "$@" > >(trap '' INT && exec sed -u "s/^/[n$i] /") 2>&1 &
  pids+=($!)
done

# Ready when every HTTP port accepts a connection (10 s at most).
for ((i = 1; i <= nodes; i++)); do
  port=$((http_base + i - 1))
  for ((try = 0; try < 100; try++)); do
    (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "${pids[i - 1]}" 2>/dev/null || {
      echo "node n$i exited" >&2
      exit 1
    }
    sleep 0.1
  done
done

echo
for ((i = 1; i <= nodes; i++)); do
  port=$((http_base + i - 1))
  echo "n$i: http://127.0.0.1:$port  (dashboard: /dashboard.html," \
    "cluster port $((cluster_base + i - 1)))"
done
echo "Ctrl-C stops all nodes."
wait "${pids[@]}" || true
