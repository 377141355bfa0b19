// When a quiet client is pinged and when it is given up (net/heartbeat.hpp),
// on made-up times.
#include <catch2/catch.hpp>

#include "net/heartbeat.hpp"

using chat::net::heartbeat;
using action = heartbeat::action;

namespace {
constexpr int64_t ms = 1'000'000; // nanoseconds
}

TEST_CASE("heartbeat: a client silent for half the timeout is pinged once, "
          "silent for the whole timeout it is given up",
          "[net][heartbeat]") {
  heartbeat beat{std::chrono::seconds(10), 0};
  CHECK(beat.next_check_ns() == 5000 * ms);
  CHECK(beat.due(4999 * ms) == action::wait);
  CHECK(beat.due(5000 * ms) == action::ping);
  CHECK(beat.due(6000 * ms) == action::wait); // one ping per silence
  CHECK(beat.next_check_ns() == 10000 * ms);
  CHECK(beat.due(9999 * ms) == action::wait);
  CHECK(beat.due(10000 * ms) == action::give_up);
}

TEST_CASE("heartbeat: the client's bytes restart the count, however late "
          "in the silence they come",
          "[net][heartbeat]") {
  heartbeat beat{std::chrono::seconds(10), 0};
  CHECK(beat.due(7000 * ms) == action::ping);
  beat.heard(9000 * ms); // its pong
  CHECK(beat.next_check_ns() == 14000 * ms);
  CHECK(beat.due(13999 * ms) == action::wait);
  CHECK(beat.due(14000 * ms) == action::ping);
  CHECK(beat.due(19000 * ms) == action::give_up);
}

TEST_CASE("heartbeat: a tick that comes late still gives up a client silent "
          "the whole timeout, without a ping first",
          "[net][heartbeat]") {
  heartbeat beat{std::chrono::seconds(10), 0};
  CHECK(beat.due(25000 * ms) == action::give_up);
}
