// The session actor: one per WebSocket connection. It logs in, decodes and
// validates client frames, enforces the rate limit and routes requests to the
// registry and rooms. It hands its connection (a connection_ref) to the
// registry and its rooms, so chat frames reach the client without a hop
// through the session's mailbox; it writes its own frames (errors, pong,
// users) itself.
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
