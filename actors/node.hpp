// The node actor: this process's membership in the cluster. It links to
// every other node over CAF's middleman (BASP) in a full mesh, watches each
// link, and tells the registry which peers are alive (the view).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/context.hpp"
#include "actors/protocol.hpp"

namespace chat {

struct cluster_options {
  /// host:port where peers reach this node (its published node actor).
  std::string address;
  /// The port its node actor is published on here (the address's port,
  /// unless a proxy or NAT stands in between).
  uint16_t listen_port = 0;
  /// Nodes to join at start (host:port each); retried until one answers,
  /// and again whenever a known node is not up.
  std::vector<std::string> join;
  /// How often links to known nodes that are not up are tried again.
  std::chrono::milliseconds retry_every{500};
  /// Connect through CAF's OpenSSL manager (mutual TLS) instead of the
  /// plain middleman.
  bool tls = false;
};

/// Spawns the node actor for `registry`; the caller publishes it on the
/// cluster port (the address in `opts`). `ctx.node_name` names this node.
node_actor spawn_node(caf::actor_system& sys, registry_actor registry,
                      cluster_options opts, context& ctx);

/// Splits "host:port" (or "[v6]:port"); nothing if malformed.
std::optional<std::pair<std::string, uint16_t>>
split_host_port(const std::string& address);

} // namespace chat
