// What the two chaos suites (fault_test, cluster_chaos_test) share: the seed
// a run is replayed with, and what a run must never have lost.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <string>

#include "chaos.hpp"

namespace test {

/// FAULT_SEED from the environment, to replay a run; else a fresh one.
inline uint64_t fault_seed() {
  const char* seed = std::getenv("FAULT_SEED");
  return seed ? std::stoull(seed) : std::random_device{}();
}

/// No message accepted outside a fault window was lost or reordered, the
/// tool itself saw no error, no session outlived its client, and names
/// freed by a fault logged in again.
inline void check_nothing_lost(const bench::chaos_report& report) {
  CHECK(report.messages_lost == 0);
  CHECK(report.observer_messages_lost == 0);
  CHECK(report.observer_out_of_order == 0);
  CHECK(report.tool_errors == 0);
  CHECK(report.sessions_leaked == 0);
  CHECK(report.relogin_failed == 0);
  CHECK(report.relogin_ok > 0);
}

} // namespace test
