#!/usr/bin/env bash
# Reproduces the figures in bench/RESULTS.md: starts the server from BUILD
# (default build/), runs actorchat-bench against it, prints the reports and
# writes bench/results/*.json and curve.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
server=$build/actorchat
tool=$build/bench/actorchat-bench
out=bench/results
mkdir -p "$out"
port=18090

start_server() {
  "$server" --port $port --log-level warn "$@" &
  server_pid=$!
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return
    sleep 0.1
  done
  echo "server did not start" >&2
  exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" || true; }
url=http://127.0.0.1:$port

echo "== light: 200 clients x 100 broadcasts/s"
start_server
"$tool" load $url --clients 200 --senders 10 --rate 100 --duration 10 --quiet --json $out/light.json
stop_server

echo "== heavy: 1000 clients x 50 broadcasts/s"
start_server
"$tool" load $url --clients 1000 --senders 10 --rate 50 --duration 10 --quiet --json $out/heavy.json
stop_server

echo "== private: 10,000 private messages/s (1000 senders x 10/s)"
start_server
"$tool" load $url --clients 1000 --senders 1000 --rate 10000 --private 1 --duration 10 --quiet --json $out/private.json
stop_server

echo "== curve: 1000 clients, broadcast rate rising"
rm -f $out/curve.csv
start_server
for rate in 1 5 10 20 40 60 80; do
  "$tool" load $url --clients 1000 --senders 20 --rate $rate --duration 8 --quiet --csv $out/curve.csv >/dev/null || true
done
stop_server
cat $out/curve.csv

echo "== idle: 5000 connections"
start_server
"$tool" idle $url --clients 5000 --hold 2 --quiet --json $out/idle5000.json
stop_server

echo "== idle: 19000 connections"
start_server
"$tool" idle $url --clients 19000 --hold 2 --quiet --json $out/idle19000.json
stop_server

echo "== chaos: 1000 rounds, heartbeat 2 s"
start_server --heartbeat-timeout 2 --rate-limit 1000 --rate-burst 1000
"$tool" chaos $url --rounds 1000 --seed 7 --rate 500 --settle 10 --quiet --json $out/chaos.json
stop_server
