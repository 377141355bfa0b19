// What every connection of one server reaches: the actor system, the
// registry, the shared limits and counters, and where the static files are.
#pragma once

#include <atomic>
#include <filesystem>

#include "actors/context.hpp"
#include "actors/protocol.hpp"
#include "net/ws_upgrade.hpp"

namespace chat::net {

struct server_context {
  server_context(chat::context& chat_ctx, caf::actor_system& sys,
                 registry_actor reg, std::filesystem::path www,
                 origin_policy allowed_origins)
      : chat(chat_ctx), system(sys), registry(std::move(reg)),
        www_root(std::move(www)), origins(std::move(allowed_origins)) {}

  chat::context& chat;
  caf::actor_system& system;
  registry_actor registry;
  std::filesystem::path www_root;
  /// Pages of which origins may open a WebSocket (`--allowed-origins`).
  origin_policy origins;
  /// Set once at shutdown: /healthz answers 503 and keep-alive ends.
  std::atomic<bool> draining{false};
  /// Open TCP connections, counted by connection_slot.
  std::atomic<int64_t> open_connections{0};
};

/// One open TCP connection, counted while the slot lives. It moves from the
/// HTTP session to the WebSocket connection on upgrade.
class connection_slot {
public:
  explicit connection_slot(server_context& srv) : srv_(&srv) {
    srv_->open_connections.fetch_add(1);
  }
  connection_slot(connection_slot&& other) noexcept : srv_(other.srv_) {
    other.srv_ = nullptr;
  }
  connection_slot& operator=(connection_slot&&) = delete;
  connection_slot(const connection_slot&) = delete;
  ~connection_slot() {
    if (srv_)
      srv_->open_connections.fetch_sub(1);
  }

private:
  server_context* srv_;
};

} // namespace chat::net
