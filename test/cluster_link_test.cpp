// PROTOCOL.md "Cluster": a node's links cut (through a proxy that stops
// forwarding) and healed, with real processes. While cut, each side serves
// on; a name claimed on both sides is resolved on heal by closing one
// session with 1008 name_taken.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "actors/placement.hpp"
#include "cluster_fixture.hpp"
#include "e2e.hpp"
#include "local_cluster.hpp"
#include "net/held_port.hpp"
#include "server_metrics.hpp"
#include "server_process.hpp"
#include "tcp_proxy.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;
using steady = std::chrono::steady_clock;

namespace {

double metric(uint16_t port, const std::string& sample) {
  try {
    return bench::server_metric("127.0.0.1", port, sample);
  } catch (const std::exception&) {
    return -1;
  }
}

bool wait_nodes(uint16_t port, double n, std::chrono::milliseconds t = 10s) {
  auto deadline = steady::now() + t;
  while (metric(port, "chat_cluster_nodes") != n)
    if (steady::now() > deadline)
      return false;
    else
      std::this_thread::sleep_for(20ms);
  return true;
}

/// Three nodes; every link to n2 goes through `proxy`: n2 is the seed the
/// others join, it advertises the proxy, and of two nodes the one with the
/// smaller name makes the link.
struct cut_cluster {
  std::vector<std::string> common{"--port",      "0",     "--node-timeout",
                                  "2",           "--www", TEST_WWW_DIR,
                                  "--log-level", "info"};
  chat::net::held_port n2_cluster = chat::net::held_port::pick("127.0.0.1");
  tcp_proxy proxy{n2_cluster.port()};
  std::unique_ptr<server_process> n0, n1, n2;
  uint16_t p0 = 0, p1 = 0, p2 = 0;

  cut_cluster() {
    auto args = [&](std::vector<std::string> more) {
      more.insert(more.end(), common.begin(), common.end());
      return more;
    };
    auto via_proxy = "127.0.0.1:" + std::to_string(proxy.port());
    n2 = std::make_unique<server_process>(
        args({"--cluster-port", std::to_string(n2_cluster.port()),
              "--node-name", "n2", "--cluster-advertise", via_proxy}));
    p2 = n2->port();
    n0 = std::make_unique<server_process>(args(
        {"--cluster-port", "0", "--node-name", "n0", "--join", via_proxy}));
    n1 = std::make_unique<server_process>(args(
        {"--cluster-port", "0", "--node-name", "n1", "--join", via_proxy}));
    p0 = n0->port();
    p1 = n1->port();
    for (auto p : {p0, p1, p2}) {
      bool formed = wait_nodes(p, 3);
      INFO("n0:\n"
           << n0->output() << "\nn1:\n"
           << n1->output() << "\nn2:\n"
           << n2->output());
      REQUIRE(formed);
    }
  }
};

} // namespace

TEST_CASE("cluster: a node cut off is dropped within the node timeout on both "
          "sides, each side serves on, and after the heal the node is back "
          "and a name claimed on both sides is left to the older login",
          "[cluster][link]") {
  cut_cluster c;
  auto alice = login(c.p0, "alice", 10s);
  auto bob = login(c.p1, "bob", 10s);
  auto carol = login(c.p2, "carol", 10s);
  // Everybody in the lobby sees everybody.
  carol->send_json({{"msg", "before"}});
  for (auto* cl : {alice.get(), bob.get(), carol.get()})
    CHECK(cl->expect("message", 10s)["msg"] == "before");

  auto start = steady::now();
  c.proxy.blackhole();
  CHECK(saw_gone(*alice, "carol", 5s));
  CHECK(saw_gone(*carol, "alice", 5s));
  auto detected = steady::now() - start;
  INFO("cut detected after " << std::chrono::duration<double>(detected).count()
                             << " s");
  CHECK(detected < 3s);
  CHECK(wait_nodes(c.p0, 2));
  CHECK(wait_nodes(c.p2, 1));

  // Each side goes on serving its own clients.
  bob->send_json({{"msg", "majority"}});
  CHECK(alice->expect("message", 10s)["msg"] == "majority");
  carol->send_json({{"msg", "alone"}});
  CHECK(carol->expect("message", 10s)["msg"] == "alone");
  // One name, claimed on both sides of the split: the n0 side first.
  auto dave_old = login(c.p0, "dave", 10s);
  std::this_thread::sleep_for(20ms);
  auto dave_new = login(c.p2, "dave", 10s);

  c.proxy.heal();
  for (auto p : {c.p0, c.p1, c.p2})
    REQUIRE(wait_nodes(p, 3));
  // The later login of dave is closed: name_taken, 1008.
  CHECK(dave_new->expect("error", 10s)["code"] == "name_taken");
  auto closed = dave_new->wait_close(5s);
  REQUIRE(closed);
  CHECK(closed->code == 1008);
  // The older one stays, and the chat is one again.
  dave_old->send_json({{"msg", "still dave"}});
  for (auto* cl : {alice.get(), carol.get(), dave_old.get()})
    CHECK(cl->expect("message", 10s)["msg"] == "still dave");
  carol->send_json({{"type", "users"}});
  CHECK(carol->expect("users")["users"] ==
        json::array({"alice", "bob", "carol", "dave"}));
}
