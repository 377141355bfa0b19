// The chaos runner behind `actorchat-bench chaos`: rounds of randomly chosen
// client faults against any server speaking PROTOCOL.md (or the nodes of a
// cluster, round-robin), while a talker broadcasts numbered messages and
// observers, spread over the servers, check that none is lost. With a
// local cluster it also kills, restarts, cuts off and heals a node.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "chaos_flood.hpp"
#include "chaos_nodes.hpp"
#include "server_url.hpp"

namespace bench {

enum class fault_kind {
  reset,         // log in, then TCP RST (SO_LINGER 0)
  fin_mid_frame, // log in, half a frame, then FIN
  half_open,     // log in, then silence: only the heartbeat finds it
  never_read,    // log in with a tiny receive buffer, never read
  cut_handshake, // RST in the middle of the upgrade request
  cut_http,      // FIN in the middle of a plain HTTP request
};

const char* to_string(fault_kind k);
/// Parses a comma-separated list of kinds; throws std::invalid_argument.
std::vector<fault_kind> parse_kinds(const std::string& list);
std::vector<fault_kind> all_kinds();

struct chaos_options {
  /// Clients (observers, talker, faults) are spread over these round-robin.
  std::vector<server_url> servers{server_url{}};
  /// Node faults: a cluster this tool started. Its last node is the victim;
  /// the clients use the others (`servers` is ignored).
  local_cluster* cluster = nullptr;
  int rounds = 100;
  /// Seconds the rounds are spread over; the talker talks all along.
  double duration = 10;
  uint64_t seed = 0;
  std::vector<fault_kind> kinds = all_kinds();
  int observers = 2;
  /// Talker messages per second; keep it under the server's rate limit.
  double talk_rate = 10;
  /// How long to wait, after the rounds, for the server to drop every
  /// faulted session (at least the server's heartbeat timeout).
  std::chrono::milliseconds settle{70'000};
  /// Sockets that finish the upgrade at the start and then send nothing;
  /// with the half_open and never_read faults, their logouts are timed.
  int silent = 0;
  /// The server's heartbeat timeout: if set, every silent client must be
  /// logged out within it plus 1 s (0: the times are only reported).
  std::chrono::milliseconds heartbeat_timeout{0};
  /// Load in a room of its own while the rounds run.
  flood_options flood;
  /// If set, counts the rounds done (for a timeline of the storm).
  std::atomic<int>* rounds_done = nullptr;
};

struct chaos_report {
  uint64_t seed = 0;
  int rounds = 0;
  std::vector<server_url> servers;          // the servers the clients used
  std::vector<uint64_t> clients_per_server; // observers and the talker
  std::vector<std::string> observer_server; // per observer
  std::string talker_server;
  std::map<std::string, int> faults; // by kind
  int tool_errors = 0;               // faults the tool could not set up
  long messages_sent = 0;            // accepted by the server (echoed)
  long messages_refused = 0;         // refused (e.g. rate_limited)
  long messages_lost = 0;            // neither echoed nor refused
  double talk_seconds = 0;           // how long the talker talked
  long observer_messages_lost = 0;   // over all observers
  long observer_out_of_order = 0;
  /// Accepted messages an observer missed that were in flight while a node
  /// fault was undetected or a rejoin under way (not counted as lost).
  long observer_lost_in_faults = 0;
  /// The first few lost: "obs1 #312 sent 6.12 s answered 6.13 s".
  std::vector<std::string> lost_samples;
  std::vector<node_event> node_events;
  long sessions_before = 0;
  long sessions_after = 0;
  long sessions_leaked = 0;
  /// Silent clients: the --silent sockets, half_open and never_read.
  int silent_clients = 0;
  int silent_logged_out = 0;
  int silent_in_time = 0; // within heartbeat_timeout + 1 s, if judged
  double silent_slowest_s = 0;
  double heartbeat_timeout_s = 0; // 0: not judged
  /// Up to 10 judged late or never logged out: "cx7-12 after 11.4 s".
  std::vector<std::string> silent_late;
  flood_report flood;
  int relogin_ok = 0;
  int relogin_failed = 0;
  double seconds = 0;
};

/// Runs the rounds; `progress` gets a one-line status now and then.
chaos_report run_chaos(const chaos_options& opts,
                       const std::function<void(const std::string&)>& progress);

std::string to_json(const chaos_report& r);
std::string to_text(const chaos_report& r);

} // namespace bench
