// What every actor of one server shares read-only or add-only: the limits,
// the telemetry counters, the message id sequence and the trace switch. It
// outlives the actor system. No actor decides anything from another actor's
// writes here.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/limits.hpp"
#include "actors/metrics.hpp"
#include "actors/protocol.hpp"

namespace chat {

struct context {
  limits lim;
  metrics stats;
  /// The message trace (`--trace`); null when off. Set before the first
  /// chat actor starts and cleared after the last one ended, never while
  /// actors run, so reading it needs no synchronisation.
  tracer_actor tracer;

  /// Chat message ids: unique per server run and increasing. A room takes
  /// one id per broadcast while fanning out, so its members see increasing
  /// ids in the room's one order.
  uint64_t next_message_id() {
    return last_id_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  /// The whole cost of the trace when it is off: one pointer test. Callers
  /// build the names of a record only behind it:
  ///   if (ctx->tracing()) ctx->trace("session:" + user, ...);
  bool tracing() const { return static_cast<bool>(tracer); }

  /// Records that `to` handled message `msg` from `from`, now (or at
  /// `ts_ns`); `id` is the chat message id, 0 for none. Only if tracing().
  void trace(std::string from, std::string to, std::string msg, uint64_t id = 0,
             int64_t ts_ns = steady_now_ns()) const {
    caf::anon_send(tracer, trace_atom::value,
                   trace_record{ts_ns, std::move(from), std::move(to),
                                std::move(msg), id});
  }

  /// Records several lines in one message. Only if tracing().
  void trace(std::vector<trace_record> records) const {
    caf::anon_send(tracer, trace_atom::value, std::move(records));
  }

private:
  std::atomic<uint64_t> last_id_{0};
};

} // namespace chat
