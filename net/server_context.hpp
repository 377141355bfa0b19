// What every connection of one server reaches: the actor system, the
// registry, the shared limits and counters, and where the static files are.
#pragma once

#include <atomic>
#include <filesystem>

#include "actors/context.hpp"
#include "actors/protocol.hpp"

namespace chat::net {

struct server_context {
  server_context(chat::context& chat_ctx, caf::actor_system& sys,
                 registry_actor reg, std::filesystem::path www)
    : chat(chat_ctx),
      system(sys),
      registry(std::move(reg)),
      www_root(std::move(www)) {}

  chat::context& chat;
  caf::actor_system& system;
  registry_actor registry;
  std::filesystem::path www_root;
  /// Set once at shutdown: /healthz answers 503 and keep-alive ends.
  std::atomic<bool> draining{false};
};

} // namespace chat::net
