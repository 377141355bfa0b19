#include "net/cluster.hpp"

#include <fstream>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

/// A port nobody has bound, for `--cluster-port 0`, held bound until the
/// node listens on it. CAF's publish could pick one itself, but the node's
/// name (host:port) must be known before the node starts.
std::pair<uint16_t, held_port> pick_port(const std::string& bind) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (::getaddrinfo(bind.c_str(), "0", &hints, &found) != 0)
    throw std::runtime_error("--cluster-bind '" + bind + "' is no address");
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard{found, ::freeaddrinfo};
  held_port hold{::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  int on = 1;
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  auto* bound_addr = reinterpret_cast<sockaddr*>(&bound);
  if (hold.fd() < 0 ||
      ::setsockopt(hold.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      ::bind(hold.fd(), found->ai_addr, found->ai_addrlen) != 0 ||
      ::getsockname(hold.fd(), bound_addr, &len) != 0)
    throw std::runtime_error("no free port for the cluster on " + bind);
  auto port = bound.ss_family == AF_INET6
                  ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port;
  return {ntohs(port), std::move(hold)};
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

held_port::held_port(held_port&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

held_port& held_port::operator=(held_port&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

held_port::~held_port() {
  if (fd_ >= 0)
    ::close(fd_);
}

cluster_identity settle_identity(const cluster_flags& flags) {
  cluster_identity id;
  if (*flags.port)
    id.port = *flags.port;
  else
    std::tie(id.port, id.hold) = pick_port(flags.bind);
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
