// This process as a node of a cluster (PROTOCOL.md, "Cluster"): CAF's
// middleman (BASP over TCP, or mutual TLS through CAF's OpenSSL module)
// carries the actors' messages between nodes. Single node without
// `--cluster-port`: none of this runs.
#pragma once

#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/context.hpp"
#include "actors/protocol.hpp"
#include "net/held_port.hpp"
#include "net/options.hpp"

namespace chat::net {

/// Before the actor system exists: loads the middleman (and OpenSSL),
/// announces the message types, and sets the link heartbeat so that a
/// silent peer is dropped within the node timeout. Throws
/// std::runtime_error on unreadable TLS files (CAF would abort on them).
void configure_cluster(caf::actor_system_config& cfg,
                       const cluster_flags& flags);

/// Whether libcaf_openssl's TLS calls reach actorchat's wrappers, which
/// empty OpenSSL's error queue first (net/openssl_errors.cpp says why).
bool openssl_error_queue_fixed();

/// Before the registry starts: settles the cluster port (a free one for
/// 0), the node's name and its id slot.
struct cluster_identity {
  uint16_t port = 0;
  std::string name;
  std::string address; // where peers reach this node
  /// For port 0, the port picked, held until the node listens on it: the
  /// name is made of it, and any socket of the machine could take it
  /// otherwise (an outgoing connection's ephemeral port, a bind to 0).
  held_port hold;
};
cluster_identity settle_identity(const cluster_flags& flags);

/// Spawns the node actor, publishes it on the cluster port and starts
/// joining; throws std::runtime_error if the port cannot be bound.
node_actor start_cluster(caf::actor_system& sys, registry_actor registry,
                         const cluster_flags& flags, const cluster_identity& id,
                         context& ctx);

} // namespace chat::net
