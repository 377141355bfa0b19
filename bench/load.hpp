// `actorchat-bench load` and `idle`: throughput, latency and memory of a chat
// server speaking PROTOCOL.md, with the server's own CPU and RSS read from its
// /metrics (process_cpu_seconds_total, process_resident_memory_bytes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server_url.hpp"

namespace bench {

struct load_options {
  /// Clients are spread over these round-robin; server CPU and RSS are the
  /// sums over all of them.
  std::vector<server_url> servers{server_url{}};
  int clients = 200;
  int senders = 10;
  double rate = 100;           // messages per second, all senders together
  double duration = 10;        // seconds of sending (after the warm-up)
  double warmup = 1;           // seconds of sending not measured
  double private_fraction = 0; // share of messages sent as whispers
  int payload = 64;            // bytes of `msg`
  int rooms = 1;               // clients spread over this many rooms
  int threads = 2;             // load generator I/O threads
  double connect_rate = 2000;  // new connections per second
  /// Login names are PREFIX<n>; empty: "l<pid>x<run>-", unique per run, so
  /// runs back to back never meet the previous run's names.
  std::string prefix;
};

struct load_report {
  load_options opts;
  uint64_t connected = 0, connect_failures = 0;
  std::vector<uint64_t> connected_per_server; // as opts.servers
  uint64_t sent = 0, expected = 0, delivered = 0, errors = 0;
  double seconds = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  double server_cpu_s = -1;        // during the measured window
  double server_cpu_per_100k = -1; // CPU seconds per 100k deliveries
  double server_rss_bytes = -1;
  double tool_cpu_share = 0; // tool CPU / (threads x wall time)
  bool tool_bottleneck = false;
  std::string bottleneck_reason;
  uint64_t lost() const {
    return expected > delivered ? expected - delivered : 0;
  }
};

load_report run_load(const load_options& o,
                     const std::function<void(const std::string&)>& progress);

struct idle_report {
  int clients = 0;
  std::vector<server_url> servers;
  uint64_t connected = 0, connect_failures = 0, closed_early = 0;
  std::vector<uint64_t> connected_per_server;
  double rss_before = -1, rss_after = -1;
  double bytes_per_connection = -1;
  double seconds = 0;
};

/// Holds `clients` connections for `hold` seconds, measures, and keeps them
/// `linger` seconds more.
idle_report run_idle(const load_options& o, double hold, double linger,
                     const std::function<void(const std::string&)>& progress);

std::string to_text(const load_report& r);
std::string to_json(const load_report& r);
std::string csv_header();
std::string to_csv(const load_report& r);
std::string to_text(const idle_report& r);
std::string to_json(const idle_report& r);

} // namespace bench
