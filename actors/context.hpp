// What every actor of one server shares read-only or add-only: the limits,
// the node's name, the telemetry counters, the message id clock and the
// trace switch. It outlives the actor system. No actor decides anything from
// another actor's writes here (the id clock only ever moves forward).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/limits.hpp"
#include "actors/message_ids.hpp"
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

  /// Chat message ids (see message_ids.hpp).
  message_ids ids;
  /// This node's name in logs, metrics and traces; empty for a single node.
  std::string node_name;
  /// A peer silent this long is dead (`--node-timeout`); requests to other
  /// nodes give up after it, since a link that dies drops them silently.
  std::chrono::milliseconds node_timeout{5000};
  /// How long a request that a peer must answer for a client to go on
  /// (a login's claim, a room's host, a join through a mirror) may take. A
  /// peer that dies or is cut off leaves the view within the node timeout,
  /// and the view change (or the monitor) settles such requests at once; a
  /// peer still in the view is alive, only busy (a login storm queues its
  /// registry and rooms), so its answer is worth waiting for: asked again,
  /// the busy peer would do the same work twice.
  std::chrono::milliseconds peer_patience() const { return 12 * node_timeout; }

  /// A new chat message id (see message_ids).
  uint64_t next_message_id() { return ids.next(); }

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
};

} // namespace chat
