// The whole server in one object: actor system, registry, I/O threads and
// listener, started in the constructor and stopped in a fixed order.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/context.hpp"
#include "actors/protocol.hpp"
#include "net/options.hpp"

namespace chat::net {

class chat_server {
public:
  /// Starts everything; throws std::exception if the port cannot be bound.
  explicit chat_server(const server_options& opts);
  ~chat_server();

  chat_server(const chat_server&) = delete;
  chat_server& operator=(const chat_server&) = delete;

  /// The bound port (useful with `--port 0`).
  uint16_t port() const;
  /// `http://ADDR:PORT`.
  std::string url() const;

  /// First step of a stop: no new connections, /healthz turns 503, every
  /// session is told to close with 1001. Idempotent.
  void drain();

  /// Graceful stop: drain(), no new connections, /healthz turns 503, every
  /// session is closed with 1001; waits up to `grace` for the clients to go,
  /// then ends the I/O threads and every actor. An actor still running
  /// `patience` later is logged and left behind, so that the stop always
  /// returns. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(4),
            std::chrono::milliseconds patience = std::chrono::seconds(10));

  /// For tests and tools that talk to the actors directly.
  caf::actor_system& system();
  registry_actor registry() const;
  chat::context& context();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace chat::net
