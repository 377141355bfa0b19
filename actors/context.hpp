// What every actor of one server shares read-only or add-only: the limits,
// the telemetry counters and the message id sequence. It outlives the actor
// system. No actor decides anything from another actor's writes here.
#pragma once

#include <atomic>
#include <cstdint>

#include "actors/limits.hpp"
#include "actors/metrics.hpp"

namespace chat {

struct context {
  limits lim;
  metrics stats;

  /// Chat message ids: unique per server run and increasing. A room takes
  /// one id per broadcast while fanning out, so its members see increasing
  /// ids in the room's one order.
  uint64_t next_message_id() {
    return last_id_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

private:
  std::atomic<uint64_t> last_id_{0};
};

} // namespace chat
