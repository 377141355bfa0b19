// When a quiet client is pinged and when it is given up (net/heartbeat.hpp),
// on made-up times.
#include <catch2/catch.hpp>

#include "net/heartbeat.hpp"

using chat::net::heartbeat;
using action = heartbeat::action;

namespace {
constexpr int64_t ms = 1'000'000; // nanoseconds

/// The next check falls due at `at_ms` and not a millisecond sooner, and
/// then does `what`.
void check_due_at(heartbeat& beat, int64_t at_ms, action what) {
  CHECK(beat.next_check_ns() == at_ms * ms);
  CHECK(beat.due((at_ms - 1) * ms) == action::wait);
  CHECK(beat.due(at_ms * ms) == what);
}
} // namespace

TEST_CASE("heartbeat: a client silent for half the timeout is pinged once, "
          "silent for the whole timeout it is given up",
          "[net][heartbeat]") {
  heartbeat beat{std::chrono::seconds(10), 0};
  check_due_at(beat, 5000, action::ping);
  CHECK(beat.due(6000 * ms) == action::wait); // one ping per silence
  check_due_at(beat, 10000, action::give_up);
}

TEST_CASE("heartbeat: the client's bytes restart the count, however late "
          "in the silence they come",
          "[net][heartbeat]") {
  heartbeat beat{std::chrono::seconds(10), 0};
  CHECK(beat.due(7000 * ms) == action::ping);
  beat.heard(9000 * ms); // its pong
  check_due_at(beat, 14000, action::ping);
  CHECK(beat.due(19000 * ms) == action::give_up);
}

TEST_CASE("heartbeat: a tick that comes late still gives up a client silent "
          "the whole timeout, without a ping first",
          "[net][heartbeat]") {
  heartbeat beat{std::chrono::seconds(10), 0};
  CHECK(beat.due(25000 * ms) == action::give_up);
}
