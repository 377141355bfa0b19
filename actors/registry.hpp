// The registry actor: logged-in names and the room directory.
#pragma once

#include "actors/context.hpp"
#include "actors/protocol.hpp"

namespace chat {

/// Spawns the registry, which spawns `lobby` at once.
registry_actor spawn_registry(caf::actor_system& sys, context& ctx);

} // namespace chat
