// The rate limit of a session (actors/token_bucket.hpp), on made-up times.
#include <catch2/catch.hpp>

#include "actors/token_bucket.hpp"

using chat::token_bucket;

namespace {
constexpr int64_t s = 1'000'000'000; // nanoseconds
}

TEST_CASE("token bucket: a full bucket takes a burst, then one frame per "
          "refilled token",
          "[actors][rate]") {
  token_bucket bucket{20, 40};
  int taken = 0;
  for (int i = 0; i < 60; ++i)
    taken += bucket.take(10 * s) ? 1 : 0; // 60 frames at one instant
  CHECK(taken == 40);
  CHECK_FALSE(bucket.take(10 * s));
  CHECK(bucket.take(10 * s + s / 20)); // 50 ms refill one token at 20/s
  CHECK_FALSE(bucket.take(10 * s + s / 20));
}

TEST_CASE("token bucket: frames judged by arrival never refill twice when "
          "they come out of order",
          "[actors][rate]") {
  token_bucket bucket{1, 1};
  CHECK(bucket.take(100 * s));
  CHECK_FALSE(bucket.take(99 * s)); // earlier arrival: no refill
  CHECK_FALSE(bucket.take(100 * s));
  CHECK(bucket.take(101 * s));
}

TEST_CASE("token bucket: a long quiet time refills no more than the burst",
          "[actors][rate]") {
  token_bucket bucket{10, 3};
  for (int i = 0; i < 3; ++i)
    CHECK(bucket.take(1000 * s));
  CHECK_FALSE(bucket.take(1000 * s));
}
