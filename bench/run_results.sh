#!/usr/bin/env bash
# Reproduces the figures in bench/RESULTS.md and the plots in
# docs/EXPERIMENTS.md: starts the server from BUILD (default build/), runs
# actorchat-bench against it, prints the reports, writes bench/results/
# (*.json, curve.csv, fanout.csv, storm.csv, idle19000.csv) and redraws the
# plots in docs/plots/ from them (node bench/plot.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
server=$build/actorchat
tool=$build/bench/actorchat-bench
out=bench/results
mkdir -p "$out"
port=18090

# shellcheck source=bench/servers.sh
source bench/servers.sh
trap stop_all EXIT
start_server() { start_node "$server" $port "$@"; }
stop_server() { stop_all; }
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
for rate in 1 5 10 20 40 60 80 100 120 150; do
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
"$tool" idle $url --clients 19000 --hold 2 --quiet --json $out/idle19000.json \
  --timeline $out/idle19000.csv
stop_server

echo "== chaos: 1000 rounds, heartbeat 2 s"
start_server --heartbeat-timeout 2 --rate-limit 1000 --rate-burst 1000
"$tool" chaos $url --rounds 1000 --duration 2 --seed 7 --rate 500 --settle 10 --quiet --json $out/chaos.json \
  --timeline $out/storm.csv
stop_server

echo "== fan-out: 10 to 5,000 clients in one room (docs/EXPERIMENTS.md)"
rm -f $out/fanout.csv
start_server --rate-limit 1000 --rate-burst 1000
for n in 10 50 100 200 500 1000 2000 5000; do
  rate=$((100000 / n > 200 ? 200 : 100000 / n))
  "$tool" load $url --clients $n --senders 10 --rate $rate --duration 8 --quiet --csv $out/fanout.csv >/dev/null || true
done
stop_server
cat $out/fanout.csv

echo "== plots"
plots=docs/plots
mkdir -p $plots
node bench/plot.mjs $out/curve.csv --x deliveries_per_s --y p50_ms,p99_ms \
  --title "Broadcast latency by delivery rate (1,000 clients, one room)" \
  --xlabel "deliveries per second" --ylabel "latency (ms)" \
  --hline "50:p99 limit 50 ms" --out $plots/curve-latency.svg
node bench/plot.mjs $out/curve.csv --x deliveries_per_s --y server_cpu_s_per_100k \
  --title "Server CPU per 100k deliveries by delivery rate (1,000 clients)" \
  --xlabel "deliveries per second" --ylabel "CPU seconds per 100k deliveries" \
  --out $plots/curve-cpu.svg
node bench/plot.mjs $out/fanout.csv --x clients --logx --y server_cpu_s_per_100k \
  --title "Fan-out: server CPU per 100k deliveries by room size" \
  --xlabel "clients in the room (log scale)" --ylabel "CPU seconds per 100k deliveries" \
  --out $plots/fanout-cpu.svg
node bench/plot.mjs $out/fanout.csv --x clients --logx --logy --y p50_ms,p99_ms \
  --title "Fan-out: delivery latency by room size" \
  --xlabel "clients in the room (log scale)" --ylabel "latency (ms, log scale)" \
  --out $plots/fanout-latency.svg
node bench/plot.mjs $out/storm.csv --x t_s \
  --y sessions,rounds_done,disconnects_reset,disconnects_timeout,disconnects_client_close \
  --title "Disconnect storm: 1,000 faults (seed 7), then the heartbeat cleans up" \
  --xlabel "seconds" --ylabel "count" --out $plots/storm.svg
ls -l $plots
