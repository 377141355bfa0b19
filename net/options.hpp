// Command-line flags of the server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/limits.hpp"
#include "actors/log.hpp"
#include "net/ws_upgrade.hpp"

namespace chat::net {

/// The cluster flags (PROTOCOL.md, "Cluster"); no port: a single node.
struct cluster_flags {
  std::optional<uint16_t> port;   // --cluster-port (0: any free one)
  std::string bind = "127.0.0.1"; // --cluster-bind
  std::vector<std::string> join;  // --join host:port,...
  std::string node_name;          // --node-name (default host:port)
  std::string advertise;          // --cluster-advertise (default bind:port)
  std::chrono::milliseconds node_timeout{5000}; // --node-timeout
  // Mutual TLS between nodes (all three, or none).
  std::string cert, key, ca;
  bool tls() const { return !cert.empty(); }
};

struct server_options {
  std::string bind = "127.0.0.1";
  uint16_t port = 8080;
  std::string www; // default: the source tree's www/
  /// Asio threads, each with its own io_context and write batch. One: with
  /// batched writes it matches two under light and heavy load and keeps
  /// 5,000-member fan-out fast (bench/RESULTS.md).
  int io_threads = 1;
  int actor_threads = 1; // CAF scheduler threads (see bench/RESULTS.md)
  /// CAF scheduler: "sharing" (workers sleep on a condition variable) or
  /// "stealing" (workers poll with short sleeps: more CPU when lightly
  /// loaded).
  std::string scheduler = "sharing";
  /// Batched socket writes go to the kernel with io_uring where it works
  /// (`--io-uring off`: one send() per socket, for comparison).
  bool io_uring = true;
  log::level log_level = log::level::info;
  /// Origins besides the server's own whose pages may open a WebSocket.
  origin_policy allowed_origins;
  /// The message trace file (`--trace`); empty: no trace.
  std::string trace_file;
  limits lim;
  cluster_flags cluster;

  server_options();
};

/// `--help` was asked for: the text to print, exit 0.
struct help_requested {
  std::string text;
};

/// A flag was wrong: the message to print, exit 2.
struct bad_options {
  std::string message;
};

using parse_result = std::variant<server_options, help_requested, bad_options>;

/// Parses `--flag VALUE` and `--flag=VALUE` forms.
parse_result parse_options(int argc, const char* const* argv);

} // namespace chat::net
