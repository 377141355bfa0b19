// PROTOCOL.md "Hostile clients (v2)", liveness: only the client's own bytes
// prove it is there. A client that reads nothing is closed within the
// heartbeat timeout whatever the traffic; a slow reader that still answers
// in time is kept while its backlog is under the bound.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "e2e.hpp"
#include "raw_socket.hpp"
#include "slow_reader.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;
using steady = std::chrono::steady_clock;

namespace {

/// A server with a short heartbeat and no rate limit, so that a test can
/// outpace a reader within a few seconds.
std::function<void(chat::net::server_options&)>
heartbeat_of(std::chrono::milliseconds timeout) {
  return [timeout](chat::net::server_options& o) {
    o.lim.heartbeat_timeout = timeout;
    unlimited_rate(o);
  };
}

/// A talker and a slow reader in the lobby, the talker past the reader's
/// join, on a server with a heartbeat timeout of 1 s.
struct talker_and_slow_reader {
  e2e t{heartbeat_of(1s)};
  ws_client& talker = t.login("talker");
  slow_reader reader{t.srv.port(), "reader"};

  talker_and_slow_reader() { talker.expect("presence"); }

  /// Says message `i`, of about 1 KB.
  void say(int i) {
    talker.send_json({{"msg", std::to_string(i) + std::string(1000, 'p')}});
  }
};

} // namespace

TEST_CASE_METHOD(talker_and_slow_reader,
                 "a reader so slow that it cannot answer a ping within the "
                 "heartbeat timeout is closed with 1008 slow consumer",
                 "[e2e][liveness]") {
  // 150 KB at once for a reader of 4 KB per 100 ms: about 4 s to reach the
  // ping sent at 0.5 s of silence, far past the 1 s timeout. Its TCP keeps
  // acknowledging all along: that proves nothing about the client.
  for (int i = 0; i < 150; ++i)
    say(i);
  auto deadline = steady::now() + 15s;
  while (reader.close() == 0 && steady::now() < deadline)
    reader.tick();
  CHECK(reader.close() == 1008);
  CHECK(t.srv.metric("chat_disconnects_total{reason=\"slow_consumer\"}") == 1);
  auto left = talker.expect("presence");
  CHECK(left["event"] == "leave");
}

TEST_CASE_METHOD(
    talker_and_slow_reader,
    "a slow reader that keeps up and answers pings in time is kept "
    "while its backlog is under the bound",
    "[e2e][liveness]") {
  // 10 KB/s for 5 s to a reader of 40 KB/s: behind at times, never for long.
  constexpr int sent = 50;
  for (int i = 0; i < sent; ++i) {
    say(i);
    reader.tick();
  }
  auto deadline = steady::now() + 5s;
  while (reader.messages() < sent && steady::now() < deadline)
    reader.tick();
  CHECK(reader.close() == 0);
  CHECK(reader.messages() == sent);
  CHECK(t.srv.metric("chat_disconnects_total{reason=\"timeout\"}") == 0);
  CHECK(t.srv.metric("chat_disconnects_total{reason=\"slow_consumer\"}") == 0);
}

TEST_CASE("clients that finish the upgrade and then neither read nor write "
          "are all closed within the heartbeat timeout plus 1 s while the "
          "server is busy",
          "[e2e][liveness]") {
  constexpr auto timeout = 2s;
  e2e t{heartbeat_of(timeout)};
  auto& observer = t.login("observer");
  // Busy: a sequencer in the lobby and a flood in another room.
  std::atomic<bool> stop{false};
  std::thread busy{[&] {
    ws_client seq{t.srv.port(), "/ws/sequencer"};
    ws_client flood{t.srv.port(), "/ws/flood"};
    seq.expect("welcome");
    flood.expect("welcome");
    flood.send_json({{"type", "join"}, {"room", "busy"}});
    const std::string chunk(4000, 'f');
    for (int i = 0; !stop; ++i) {
      seq.send_json({{"msg", "tick " + std::to_string(i)}});
      for (int k = 0; k < 5; ++k)
        flood.send_json({{"msg", chunk}});
      std::this_thread::sleep_for(50ms);
      while (seq.recv(0ms) || flood.recv(0ms)) {
      }
    }
  }};
  constexpr int silent_count = 8;
  std::vector<std::unique_ptr<raw_socket>> silent;
  std::map<std::string, steady::time_point> silent_since;
  for (int i = 0; i < silent_count; ++i) {
    auto name = "silent" + std::to_string(i);
    silent.push_back(std::make_unique<raw_socket>(t.srv.port()));
    silent.back()->upgrade("/ws/" + name); // its last byte to the server
    silent_since[name] = steady::now();
  }
  int closed_in_time = 0;
  auto deadline = steady::now() + timeout + 5s;
  while (!silent_since.empty() && steady::now() < deadline) {
    auto f = observer.recv(100ms);
    if (!f || (*f)["type"] != "presence" || (*f)["event"] != "leave")
      continue;
    auto it = silent_since.find((*f)["user"].get<std::string>());
    if (it == silent_since.end())
      continue;
    auto took = steady::now() - it->second;
    INFO((*f)["user"] << " closed after "
                      << std::chrono::duration<double>(took).count() << " s");
    CHECK(took <= timeout + 1s);
    closed_in_time += took <= timeout + 1s ? 1 : 0;
    silent_since.erase(it);
  }
  stop = true;
  busy.join();
  CHECK(silent_since.empty());
  CHECK(closed_in_time == silent_count);
}
