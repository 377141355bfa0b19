// The mirror actor: a room of another node, as this node's sessions see it.
#pragma once

#include <string>

#include "actors/context.hpp"
#include "actors/protocol.hpp"

namespace chat {

/// Spawns the mirror of `room` (an actor on node `host`) called `name`;
/// it tells `owner` (this node's registry) when its last member left.
room_mirror_actor spawn_room_mirror(caf::local_actor* parent, std::string name,
                                    room_actor room, std::string host,
                                    room_owner owner, context& ctx);

} // namespace chat
