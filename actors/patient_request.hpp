// Requests that wait up to context::peer_patience() for a busy peer, and
// what they must do so that the wait costs nothing once answered.
#pragma once

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>

namespace chat {

/// Ends the timeout of the request whose answer (or error) `self` is
/// handling. CAF 0.17 keeps each request's timeout in the actor clock until
/// it is due, answered or not: about 140 bytes and a strong reference to the
/// requester, for a minute at peer_patience(). A login storm sends a claim
/// to every peer and a mirror join per login, so a node held tens of
/// thousands of them, and their memory, freed a minute later all over the
/// heap, stayed in its RSS. Call it first in both handlers of such a
/// request (for a timeout it finds nothing, which is harmless).
template <class Self> void end_request_timeout(Self* self) {
  self->system().clock().cancel_request_timeout(self,
                                                self->current_message_id());
}

} // namespace chat
