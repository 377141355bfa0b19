// The room actor: members, presence and one total order of broadcasts.
#pragma once

#include <string>

#include "actors/context.hpp"
#include "actors/protocol.hpp"

namespace chat {

/// Spawns the room `name`, which tells `owner` when it becomes empty.
room_actor spawn_room(caf::local_actor* parent, std::string name,
                      room_owner owner, context& ctx);

} // namespace chat
