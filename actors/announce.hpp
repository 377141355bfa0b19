// The message types that cross nodes, announced to CAF under one name each.
// Every node must announce the same list: a type known on one side only
// makes the typed handshake fail, and one known on neither side travels as
// an empty message.
#pragma once

#include <caf/actor_system_config.hpp>

namespace chat {

void announce_message_types(caf::actor_system_config& cfg);

} // namespace chat
