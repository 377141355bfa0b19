// Telemetry of the cluster's links, one row per peer node: up or down,
// messages our actors sent and received, and the bytes TCP carried. Like
// the other metrics it decides nothing: actors add to it, /metrics reads it.
//
// Rows are append-only (a peer's name keeps its row for the process's
// life, up to `max_peers`), so readers on any thread find a row by name
// without a lock: a row's name is written before the row is published.
// Bytes come from the kernel (TCP_INFO of the link's socket): the node
// actor finds the socket when the link comes up and stores its descriptor.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace chat {

class link_metrics {
public:
  static constexpr std::size_t max_peers = 64;

  /// The row of `peer`, made on first use; nullptr once all rows are taken
  /// (or from a thread other than the node actor's when it is new).
  struct row;
  row* find(std::string_view peer);
  /// Only the node actor makes rows (one writer).
  row* make(std::string_view peer);

  void sent(std::string_view peer, uint64_t messages = 1);
  void received(std::string_view peer, uint64_t messages = 1);

  /// The Prometheus lines of every row (only if any row exists).
  void render(std::ostream& out) const;

  struct row {
    char name[65] = {};
    std::atomic<bool> up{false};
    std::atomic<int> fd{-1}; // the link's socket, -1 if unknown
    std::atomic<uint64_t> messages_out{0}, messages_in{0};
  };

private:
  std::array<row, max_peers> rows_;
  std::atomic<std::size_t> used_{0};
};

/// The bytes a TCP socket sent (acknowledged by the peer) and received,
/// from the kernel; false if `fd` is no connected TCP socket.
bool tcp_bytes(int fd, uint64_t& sent, uint64_t& received);

} // namespace chat

namespace chat {

/// The descriptor of this process's connected TCP socket whose local port is
/// `local_port` (0: any) and whose peer port is `peer_port`, or -1. Scans
/// /proc/self/fd: for when a link comes up, not for hot paths.
int find_tcp_socket(uint16_t local_port, uint16_t peer_port);

/// The local port of a socket found as above (0 if none).
uint16_t local_port_of(int fd);

} // namespace chat
