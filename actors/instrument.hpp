// What every chat actor does for telemetry, in one place: count each message
// it handles (for /metrics) and, when tracing, write a line naming who sent
// it. The actor supplies the names it knows; the rest is shared.
#pragma once

#include <string>

#include "actors/context.hpp"
#include "actors/tracer.hpp"

namespace chat {

/// Counts one message handled by `self`, an actor of `kind`.
template <class Self> void count(Self* self, context& ctx, actor_kind kind) {
  ctx.stats.handled(kind, self->mailbox().size());
}

/// Trace line: `me` handled `msg` from the actor at `from` (the current
/// sender when null), named by `name_of(addr)`. Builds nothing when the
/// trace is off.
template <class Self, class NameOf>
void trace_in(Self* self, context& ctx, const std::string& me, const char* msg,
              NameOf&& name_of, const caf::actor_addr& from = {},
              uint64_t id = 0) {
  if (!ctx.tracing())
    return;
  auto addr =
      from ? from : caf::actor_cast<caf::actor_addr>(self->current_sender());
  ctx.trace(addr ? name_of(addr) : unnamed_sender(addr), me, msg, id);
}

} // namespace chat
