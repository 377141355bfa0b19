#include "net/cluster.hpp"

#include <fstream>
#include <stdexcept>

#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "actors/announce.hpp"
#include "actors/log.hpp"
#include "actors/node.hpp"
#include "actors/placement.hpp"

namespace chat::net {

namespace {

void require_readable(const std::string& path, const char* what) {
  if (!std::ifstream{path})
    throw std::runtime_error(std::string{what} + " '" + path +
                             "' cannot be read");
}

} // namespace

void configure_cluster(caf::actor_system_config& cfg,
                       const cluster_flags& flags) {
  cfg.load<caf::io::middleman>();
  if (flags.tls()) {
    require_readable(flags.cert, "--cluster-cert");
    require_readable(flags.key, "--cluster-key");
    require_readable(flags.ca, "--cluster-ca");
    if (!openssl_error_queue_fixed())
      throw std::runtime_error(
          "mutual TLS between nodes is unavailable in this build: "
          "libcaf_openssl's calls do not reach the wrappers that empty "
          "OpenSSL's error queue (see net/openssl_errors.cpp), and without "
          "them one refused peer breaks every TLS link of this node");
    cfg.load<caf::openssl::manager>();
    cfg.set("openssl.certificate", flags.cert);
    cfg.set("openssl.key", flags.key);
    cfg.set("openssl.cafile", flags.ca);
  }
  announce_message_types(cfg);
  // BASP heartbeats on both ends (a silent link is only dropped when they
  // run): a peer that misses them for the timeout loses its link, and its
  // actors' monitors fire. Detection takes at most the timeout plus one
  // beat, under --node-timeout.
  auto beat = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(100), flags.node_timeout / 10);
  cfg.set("middleman.heartbeat-interval", caf::timespan{beat});
  cfg.set("middleman.connection-timeout",
          caf::timespan{flags.node_timeout - beat});
}

cluster_identity settle_identity(const cluster_flags& flags) {
  cluster_identity id;
  if (*flags.port) {
    id.port = *flags.port;
  } else {
    // The node's name is made of the port: it must be known, and stay
    // ours, before the node starts.
    try {
      id.hold = held_port::pick(flags.bind);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string{"--cluster-bind: "} + e.what());
    }
    id.port = id.hold.port();
  }
  auto host = flags.bind.find(':') != std::string::npos ? "[" + flags.bind + "]"
                                                        : flags.bind;
  id.address = flags.advertise.empty() ? host + ":" + std::to_string(id.port)
                                       : flags.advertise;
  id.name = flags.node_name.empty() ? host + ":" + std::to_string(id.port)
                                    : flags.node_name;
  return id;
}

node_actor start_cluster(caf::actor_system& sys, registry_actor registry,
                         const cluster_flags& flags, const cluster_identity& id,
                         context& ctx) {
  cluster_options opts;
  opts.address = id.address;
  opts.listen_port = id.port;
  opts.join = flags.join;
  opts.tls = flags.tls();
  opts.retry_every = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(500), flags.node_timeout / 5);
  auto node = spawn_node(sys, std::move(registry), opts, ctx);
  auto published =
      flags.tls()
          ? caf::openssl::publish(node, id.port, flags.bind.c_str(), true)
          : sys.middleman().publish(node, id.port, flags.bind.c_str(), true);
  if (!published) {
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    throw std::runtime_error("cannot listen for nodes on " + flags.bind + ":" +
                             std::to_string(id.port) + ": " +
                             sys.render(published.error()));
  }
  log::info("node " + id.name + " listening for nodes on " + flags.bind + ":" +
            std::to_string(*published) + (flags.tls() ? " (mutual TLS)" : "") +
            (flags.join.empty() ? "" : "; joining"));
  return node;
}

} // namespace chat::net
