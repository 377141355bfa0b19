// The session actor: one per WebSocket connection. It logs in, decodes and
// validates client frames, enforces the rate limit, routes requests to the
// registry and rooms, and forwards deliveries to its connection.
#pragma once

#include <memory>
#include <string>

#include "actors/context.hpp"
#include "actors/protocol.hpp"

namespace chat {

/// Spawns the session of a connection that asked to log in as `user` (already
/// percent-decoded, not yet validated). The session never keeps `out` alive.
session_actor spawn_session(caf::actor_system& sys, registry_actor registry,
                            std::weak_ptr<outbound> out, std::string user,
                            context& ctx);

} // namespace chat
