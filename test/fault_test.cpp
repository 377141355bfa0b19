// The fault-injection suite: the chaos runner of actorchat-bench against the
// real server with short timeouts. Replay a run with FAULT_SEED=<seed>.
#include <catch2/catch.hpp>

#include <fstream>

#include <unistd.h>

#include "chaos_checks.hpp"
#include "test_server.hpp"

using namespace test;

namespace {

std::size_t rss_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

TEST_CASE("under random client faults and a flood observers lose no message, "
          "silent clients are logged out within the heartbeat timeout, "
          "sessions return to the connected count, names log in again, RSS "
          "is bounded",
          "[e2e][faults]") {
  test_server srv{[](auto& o) {
    o.lim.heartbeat_timeout = 1s;
    o.lim.handshake_timeout = 1s;
    o.lim.max_backlog_bytes = 64 * 1024;
    o.lim.rate_per_second = 1e6;
    o.lim.rate_burst = 1e6;
  }};
  bench::chaos_options opts;
  opts.servers = {{"127.0.0.1", srv.port()}};
  opts.rounds = 150;
  opts.seed = fault_seed();
  opts.talk_rate = 300;
  opts.duration = 3;
  opts.settle = 10s;
  // Busy: 4 KB broadcasts at 200/s into another room, with a slow reader.
  opts.flood = {2, 100, 4000, 1};
  opts.silent = 4;
  opts.heartbeat_timeout = 1s;
  INFO("FAULT_SEED=" << opts.seed);
  auto rss_before = rss_bytes();
  auto report = bench::run_chaos(opts, [](const std::string&) {});
  INFO(bench::to_text(report));
  check_nothing_lost(report);
  // The talker talked for the whole duration, and every message it said
  // was answered.
  CHECK(report.messages_sent >= 0.9 * opts.talk_rate * opts.duration);
  CHECK(report.messages_refused == 0);
  int faults = 0;
  for (auto& [kind, n] : report.faults)
    faults += n;
  CHECK(faults == opts.rounds);
  // The 4 silent sockets and every half_open and never_read fault.
  CHECK(report.silent_clients >= opts.silent);
  CHECK(report.silent_logged_out == report.silent_clients);
  CHECK(report.silent_in_time == report.silent_clients);
  CHECK(report.flood.sent > 0);
  // The observers and the talker are gone too, once the runner ends.
  CHECK(srv.wait_metric("chat_sessions", 0));
  CHECK(srv.wait_metric("chat_connections", 0));
#if !defined(__SANITIZE_ADDRESS__)
  // The whole test process (server and clients) grows by far less than
  // this; a leaked connection buffer per fault would not.
  auto growth =
      static_cast<double>(rss_bytes()) - static_cast<double>(rss_before);
  CHECK(growth < 32.0 * 1024 * 1024);
#else
  (void)rss_before; // ASan's quarantine keeps freed memory; LSan checks leaks.
#endif
}
