// PROTOCOL.md "Cluster" with real processes: three nodes on loopback, and
// every rule of the contract for clients on different nodes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "actors/placement.hpp"
#include "cluster_fixture.hpp"
#include "e2e.hpp"

using namespace test;
using namespace client;
using steady = std::chrono::steady_clock;

namespace {

/// The next `n` chat messages (skipping presence and the like).
std::vector<json> messages(ws_client& c, std::size_t n,
                           std::chrono::milliseconds each = 5s) {
  std::vector<json> out;
  while (out.size() < n)
    out.push_back(c.expect("message", each));
  return out;
}

/// Presence frames until one about `user` with `event` arrives.
json presence_of(ws_client& c, const std::string& user,
                 const std::string& event, std::chrono::milliseconds t = 5s) {
  auto deadline = steady::now() + t;
  while (steady::now() < deadline) {
    auto f = c.recv(100ms);
    if (f && (*f)["type"] == "presence" && (*f)["event"] == event &&
        (*f).value("user", "") == user)
      return *f;
  }
  FAIL("no presence " << event << " of " << user);
  return {};
}

} // namespace

TEST_CASE("cluster: a name logged in on one node is taken on the others, "
          "and free again on all once it leaves",
          "[cluster]") {
  cluster_fixture c{3};
  auto alice = c.login(0, "alice");
  for (int node : {1, 2}) {
    ws_client twin{c.http_port(node), "/ws/alice"};
    CHECK(twin.expect("error")["code"] == "name_taken");
    check_closed(twin, 1008);
  }
  alice->close();
  bool free_again = false;
  for (int i = 0; i < 50 && !free_again; ++i) {
    ws_client again{c.http_port(2), "/ws/alice"};
    auto f = again.recv(3s);
    free_again = f && (*f)["type"] == "welcome";
    if (!free_again)
      std::this_thread::sleep_for(50ms);
  }
  CHECK(free_again);
}

TEST_CASE("cluster: broadcasts, presence, users and private messages cross "
          "nodes",
          "[cluster]") {
  cluster_fixture c{3};
  auto alice = c.login(0, "alice");
  auto bob = c.login(1, "bob");
  presence_of(*alice, "bob", "join");
  auto carol = c.login(2, "carol");
  presence_of(*alice, "carol", "join");
  presence_of(*bob, "carol", "join");

  bob->send_json({{"msg", "hello from n1"}});
  for (auto* cl : {alice.get(), bob.get(), carol.get()}) {
    auto m = cl->expect("message");
    CHECK(m["from_user"] == "bob");
    CHECK(m["msg"] == "hello from n1");
    CHECK(m["room"] == "lobby");
  }
  carol->send_json({{"type", "users"}});
  CHECK(carol->expect("users")["users"] ==
        json::array({"alice", "bob", "carol"}));

  alice->send_json({{"type", "whisper"}, {"to", "carol"}, {"msg", "psst"}});
  for (auto* cl : {alice.get(), carol.get()}) {
    auto m = cl->expect("message");
    CHECK(m["from_user"] == "alice");
    CHECK(m["to_user"] == "carol");
    CHECK(m["msg"] == "psst");
  }
  // Bob saw nothing of it: his next message is the marker.
  carol->send_json({{"msg", "marker"}});
  CHECK(bob->expect("message")["msg"] == "marker");
  CHECK(carol->expect("message")["msg"] == "marker");
  CHECK(alice->expect("message")["msg"] == "marker");

  // A room made on one node is joined from the others.
  alice->send_json({{"type", "join"}, {"room", "dev"}});
  presence_of(*alice, "alice", "join");
  carol->send_json({{"type", "join"}, {"room", "dev"}});
  presence_of(*alice, "carol", "join");
  presence_of(*bob, "carol", "leave");
  carol->send_json({{"type", "say"}, {"msg", "in dev"}});
  CHECK(alice->expect("message")["room"] == "dev");
  CHECK(carol->expect("message")["msg"] == "in dev");
  bob->send_json({{"type", "users"}, {"room", "dev"}});
  CHECK(bob->expect("users")["users"] == json::array({"alice", "carol"}));
  carol->close();
  presence_of(*alice, "carol", "leave");
}

TEST_CASE("cluster: with senders on three nodes every member sees one order, "
          "each sender's messages in order, ids increasing",
          "[cluster]") {
  cluster_fixture c{3};
  std::vector<std::unique_ptr<ws_client>> members;
  for (int i = 0; i < 3; ++i)
    members.push_back(c.login(i, "m" + std::to_string(i)));
  // Each hears of those who came after it.
  for (int i = 0; i < 3; ++i)
    for (int k = i + 1; k < 3; ++k)
      presence_of(*members[i], "m" + std::to_string(k), "join");
  constexpr int per_sender = 30; // under the default rate limit's burst
  std::vector<std::thread> senders;
  for (int i = 0; i < 3; ++i)
    senders.emplace_back([&, i] {
      for (int k = 0; k < per_sender; ++k)
        members[i]->send_json(
            {{"msg", "m" + std::to_string(i) + ":" + std::to_string(k)}});
    });
  for (auto& t : senders)
    t.join();
  std::vector<std::vector<std::string>> seen(3);
  for (int i = 0; i < 3; ++i) {
    uint64_t last_id = 0;
    std::map<std::string, int> next; // per sender
    for (auto& m : messages(*members[i], 3 * per_sender)) {
      seen[i].push_back(m["msg"]);
      auto id = m["id"].get<uint64_t>();
      CHECK(id > last_id);
      last_id = id;
      auto text = m["msg"].get<std::string>();
      auto sender = text.substr(0, text.find(':'));
      CHECK(std::stoi(text.substr(text.find(':') + 1)) == next[sender]++);
    }
  }
  CHECK(seen[0] == seen[1]);
  CHECK(seen[1] == seen[2]);
}

TEST_CASE("cluster: two logins of one name at once on two nodes: exactly one "
          "wins",
          "[cluster]") {
  cluster_fixture c{3};
  for (int round = 0; round < 10; ++round) {
    auto name = "racer" + std::to_string(round);
    std::atomic<int> welcomed{0}, refused{0};
    std::vector<std::unique_ptr<ws_client>> held(2);
    std::vector<std::thread> racers;
    for (int node : {0, 1})
      racers.emplace_back([&, node] {
        held[node] = std::make_unique<ws_client>(c.http_port(node + round % 2),
                                                 "/ws/" + name);
        auto f = held[node]->recv(10s);
        if (f && (*f)["type"] == "welcome")
          ++welcomed;
        else if (f && (*f)["type"] == "error" && (*f)["code"] == "name_taken")
          ++refused;
      });
    for (auto& t : racers)
      t.join();
    INFO("round " << round);
    CHECK(welcomed == 1);
    CHECK(refused == 1);
  }
}

namespace {

/// The node of n0..n(size-1) where `room` lives while all are up.
int host_of(const std::string& room, int size) {
  std::vector<std::string> nodes;
  for (int i = 0; i < size; ++i)
    nodes.push_back("n" + std::to_string(i));
  auto& owner = chat::owner_of(room, nodes);
  return owner[1] - '0';
}

void node_death(bool lobby_host) {
  constexpr double timeout_s = 2.0;
  cluster_fixture c{3, timeout_s};
  auto lobby = host_of("lobby", 3);
  // The doomed node: the lobby's host, or another one.
  int doomed = lobby_host ? lobby : (lobby + 1) % 3;
  int a = (doomed + 1) % 3, b = (doomed + 2) % 3;
  auto alice = c.login(a, "alice");
  auto bob = c.login(b, "bob");
  auto victim = c.login(doomed, "victim");
  presence_of(*alice, "victim", "join");
  presence_of(*bob, "victim", "join");
  auto start = steady::now();
  c.kill(doomed);
  CHECK(saw_gone(*alice, "victim", 5s));
  CHECK(saw_gone(*bob, "victim", 5s));
  auto detected = steady::now() - start;
  INFO("gone after " << std::chrono::duration<double>(detected).count()
                     << " s");
  CHECK(detected <
        std::chrono::milliseconds(static_cast<int>(timeout_s * 1000) + 1000));
  CHECK(c.wait_metric(a, "chat_cluster_nodes", 2));
  CHECK(c.wait_metric(b, "chat_cluster_nodes", 2));
  // Its users' names are free on the survivors.
  auto again = c.login(b, "victim");
  presence_of(*alice, "victim", "join");
  // Messages accepted now arrive once each, in order, at every survivor.
  for (int k = 0; k < 20; ++k)
    alice->send_json({{"msg", "after " + std::to_string(k)}});
  for (auto* cl : {alice.get(), bob.get(), again.get()}) {
    for (int k = 0; k < 20; ++k)
      CHECK(cl->expect("message")["msg"] == "after " + std::to_string(k));
  }
  // The node comes back and serves again.
  auto back_start = steady::now();
  c.restart(doomed);
  REQUIRE(c.wait_view(3));
  auto back = c.login(doomed, "back");
  WARN("rejoined and logged in after "
       << std::chrono::duration<double>(steady::now() - back_start).count()
       << " s");
  back->send_json({{"msg", "I am back"}});
  for (auto* cl : {alice.get(), bob.get(), again.get()})
    CHECK(cl->expect("message", 10s)["msg"] == "I am back");
}

} // namespace

TEST_CASE("cluster: a killed node is detected within the node timeout: "
          "survivors hear its users leave, its names are free, messages "
          "after that arrive once and in order, and it rejoins",
          "[cluster][node-death]") {
  node_death(false);
}

TEST_CASE("cluster: when the node of a room is killed, its members get a "
          "reset from the room's new node and go on",
          "[cluster][node-death]") {
  node_death(true);
}
