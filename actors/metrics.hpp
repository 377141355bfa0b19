// Server-wide counters for /metrics.
//
// These are telemetry, not state: actors and connections only ever add to
// them (relaxed atomics, never read back to decide anything), and /metrics
// reads a snapshot. The chat state itself lives inside the actors.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "actors/link_metrics.hpp"
#include "actors/protocol.hpp"

namespace chat {

/// Steady-clock nanoseconds: the time base of frame arrival and latency.
inline int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The kinds of actors, for the per-actor metrics.
enum class actor_kind : uint8_t {
  registry,
  room,
  session,
  mirror,
  node,
  count_
};
const char* to_string(actor_kind k);

/// Upper bounds (seconds) of the chat_delivery_seconds histogram buckets.
inline constexpr std::array<double, 14> delivery_buckets = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};

struct metrics {
  using counter = std::atomic<uint64_t>;
  std::atomic<int64_t> sessions{0};    // logged-in sessions
  std::atomic<int64_t> rooms{0};       // live room actors
  std::atomic<int64_t> connections{0}; // open WebSocket connections
  /// Nodes this node sees up, itself included; 0 when not in a cluster.
  std::atomic<int64_t> cluster_nodes{0};
  /// This node's name (set once, before any actor runs); empty alone.
  std::string node_name;
  /// Per peer node: link up, messages, bytes.
  link_metrics links;
  counter broadcasts{0};
  counter privates{0};
  counter deliveries{0};    // chat messages handed to a connection
  counter socket_writes{0}; // write system calls on WebSocket connections
  std::array<counter, static_cast<size_t>(error_code::count_)> errors{};
  std::array<counter, static_cast<size_t>(disconnect_reason::count_)>
      disconnects{};

  static constexpr auto actor_kinds = static_cast<size_t>(actor_kind::count_);
  std::array<counter, actor_kinds> actor_messages{};
  std::array<counter, actor_kinds> actor_mailbox_max{};
  /// chat_delivery_seconds: non-cumulative counts per bucket, +Inf last.
  std::array<counter, delivery_buckets.size() + 1> delivery_counts{};
  counter delivery_ns_sum{0};

  /// One message handled by an actor of `kind`, `mailbox` more waiting.
  void handled(actor_kind kind, size_t mailbox) {
    auto i = static_cast<size_t>(kind);
    actor_messages[i].fetch_add(1, std::memory_order_relaxed);
    auto seen = actor_mailbox_max[i].load(std::memory_order_relaxed);
    while (mailbox > seen && !actor_mailbox_max[i].compare_exchange_weak(
                                 seen, mailbox, std::memory_order_relaxed))
      ;
  }

  /// From a session receiving a frame to its deliveries being queued.
  void observe_delivery(int64_t ns);

  void add(error_code c) {
    errors[static_cast<size_t>(c)].fetch_add(1, std::memory_order_relaxed);
  }
  void add(disconnect_reason r) {
    disconnects[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }

  /// The Prometheus text exposition of every counter.
  std::string render() const;
};

} // namespace chat
