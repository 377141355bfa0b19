// Every limit the server enforces, in one place. Each one is a server flag
// (see net/options.cpp); the defaults are those of PROTOCOL.md.
#pragma once

#include <chrono>
#include <cstddef>

namespace chat {

struct limits {
  /// Largest WebSocket message a client may send; past it: close 1009.
  std::size_t max_frame_bytes = 64 * 1024;
  /// Longest `msg`, in Unicode code points; past it: `error` `too_long`.
  std::size_t max_msg_code_points = 4096;
  /// Token bucket over every client frame: refill rate per second...
  double rate_per_second = 20;
  /// ...and bucket size; an empty bucket gives `error` `rate_limited`.
  double rate_burst = 40;
  /// Bytes queued for one connection and not yet written; past it the
  /// connection is closed with 1008 "slow consumer".
  std::size_t max_backlog_bytes = 1024 * 1024;
  /// A connection with no traffic from its client for this long is closed;
  /// the server pings it at half this time.
  std::chrono::milliseconds heartbeat_timeout{60'000};
  /// Longest time a client may take to send its HTTP request or finish the
  /// WebSocket upgrade (and to answer a close).
  std::chrono::milliseconds handshake_timeout{10'000};
  /// Open TCP connections (HTTP and WebSocket); past it new ones get 503.
  /// 0 means: what the open-files limit allows, minus a margin.
  std::size_t max_connections = 0;
};

} // namespace chat
