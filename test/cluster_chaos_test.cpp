// The chaos runner of actorchat-bench against a real cluster of three
// processes: client faults on two nodes while the third is SIGKILLed and
// restarted, cut off and healed, blackholed and healed. Replay a run with
// FAULT_SEED=<seed>.
#include <catch2/catch.hpp>

#include "chaos_checks.hpp"
#include "local_cluster.hpp"

using namespace std::chrono_literals;

namespace {

/// How much slower a node restarts and rejoins under the sanitizers: up to
/// 1.6 s seen with ASan on a loaded machine, 0.15-0.4 s in release runs.
#ifdef ACTORCHAT_SANITIZED
constexpr double slowdown = 3;
#else
constexpr double slowdown = 1;
#endif

} // namespace

TEST_CASE("cluster chaos: while a node is killed, restarted, cut off and "
          "healed, clients of the other nodes lose nothing accepted outside "
          "the fault windows, see no reorder, and every fault is detected "
          "and healed",
          "[cluster][faults]") {
  bench::local_cluster_options co;
  co.binary = ACTORCHAT_BINARY;
  co.nodes = 3;
  co.node_timeout = 2;
  co.extra_args = {"--heartbeat-timeout", "2",   "--handshake-timeout", "1",
                   "--rate-limit",        "200", "--rate-burst",        "200"};
  bench::local_cluster cluster{co};
  bench::chaos_options opts;
  opts.cluster = &cluster;
  opts.rounds = 60;
  opts.duration = 12;
  opts.talk_rate = 40;
  opts.settle = 10s;
  opts.seed = test::fault_seed();
  INFO("FAULT_SEED=" << opts.seed);
  auto report = bench::run_chaos(opts, [](const std::string&) {});
  INFO(bench::to_text(report));

  // Every fault was detected, and every heal and restart rejoined.
  REQUIRE(report.node_events.size() == 6);
  for (auto& e : report.node_events) {
    INFO(e.what << " at " << e.at_s << " s");
    CHECK(e.settled_s >= 0);
    // A dead process or a reset link at once; a silent link by the
    // heartbeat, within the node timeout.
    CHECK(e.settled_s <
          (e.what == "blackhole" ? co.node_timeout + 1 : 1.5 * slowdown));
  }
  // The talker on a surviving node talked all along; each message was
  // echoed or refused (e.g. unavailable while its room's node was gone).
  CHECK(report.messages_sent >= 0.5 * opts.talk_rate * opts.duration);
  // Observers on both surviving nodes: nothing accepted outside a fault
  // window is missing, and nothing comes out of order or twice.
  CHECK(report.observer_server.size() == 2);
  CHECK(report.observer_server[0] != report.observer_server[1]);
  test::check_nothing_lost(report);
}
