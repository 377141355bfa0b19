// The chaos runner behind `actorchat-bench chaos`: rounds of randomly chosen
// client faults against any server speaking PROTOCOL.md, while a talker
// broadcasts numbered messages and observers check that none is lost.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

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
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
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
  /// If set, counts the rounds done (for a timeline of the storm).
  std::atomic<int>* rounds_done = nullptr;
};

struct chaos_report {
  uint64_t seed = 0;
  int rounds = 0;
  std::map<std::string, int> faults; // by kind
  int tool_errors = 0;               // faults the tool could not set up
  long messages_sent = 0;            // accepted by the server (echoed)
  long messages_refused = 0;         // refused (e.g. rate_limited)
  long messages_lost = 0;            // neither echoed nor refused
  double talk_seconds = 0;           // how long the talker talked
  long observer_messages_lost = 0;   // over all observers
  long observer_out_of_order = 0;
  long sessions_before = 0;
  long sessions_after = 0;
  long sessions_leaked = 0;
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
