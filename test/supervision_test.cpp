// Supervision: failures injected from the test by killing actors (nothing a
// client can send reaches these paths).
#include <catch2/catch.hpp>

#include "e2e.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;
using namespace chat;

namespace {

room_actor find_room(test_server& srv, const std::string& name) {
  caf::scoped_actor self{srv.server().system()};
  room_actor room;
  self->request(srv.server().registry(), 1s, join_atom::value, name)
      .receive([&](room_actor& r) { room = r; },
               [](caf::error&) { FAIL("no room"); });
  return room;
}

session_actor find_session(test_server& srv, const std::string& user) {
  caf::scoped_actor self{srv.server().system()};
  session_actor session;
  self->request(srv.server().registry(), 1s, lookup_atom::value, user)
      .receive([&](session_actor& s, connection_ref&,
                   registry_peer_actor&) { session = s; },
               [](caf::error&) { FAIL("no session"); });
  return session;
}

/// The next presence frame with `event`, skipping other frames.
json expect_event(ws_client& c, const std::string& event) {
  for (;;) {
    auto f = c.expect("presence");
    if (f["event"] == event)
      return f;
  }
}

} // namespace

TEST_CASE_METHOD(
    alice_and_bob,
    "a failed room is restarted, its members get a reset presence with "
    "the new member list and go on chatting",
    "[e2e][supervision]") {
  // Both in dev, each past its own join ack (the room fails after the
  // joins, not during them).
  auto joined = [](ws_client& c, const std::string& who) {
    for (;;) {
      auto f = c.expect("presence");
      if (f["event"] == "join" && f["user"] == who && f["room"] == "dev")
        return;
    }
  };
  alice.send_json({{"type", "join"}, {"room", "dev"}});
  joined(alice, "alice");
  bob.send_json({{"type", "join"}, {"room", "dev"}});
  joined(bob, "bob");
  joined(alice, "bob");
  auto dev = find_room(srv, "dev");
  caf::anon_send_exit(dev, caf::exit_reason::kill);
  for (auto* c : {&alice, &bob}) {
    auto reset = expect_event(*c, "reset");
    CHECK(reset["room"] == "dev");
    CHECK(reset["users"].is_array());
  }
  CHECK(find_room(srv, "dev") != dev);
  CHECK(eventually([&] {
    caf::scoped_actor self{srv.server().system()};
    std::vector<std::string> names;
    self->request(srv.server().registry(), 1s, members_atom::value,
                  std::string{"dev"})
        .receive([&](std::vector<std::string>& n) { names = n; },
                 [](caf::error&) {});
    return names == std::vector<std::string>{"alice", "bob"};
  }));
  alice.send_json({{"type", "say"}, {"msg", "after the restart"}});
  CHECK(bob.expect("message")["msg"] == "after the restart");
  CHECK(alice.expect("message")["room"] == "dev");
  CHECK(srv.metric("chat_rooms") == 2);
}

TEST_CASE_METHOD(alice_logged_in, "a failed lobby is restarted too",
                 "[e2e][supervision]") {
  caf::anon_send_exit(find_room(srv, "lobby"), caf::exit_reason::kill);
  CHECK(expect_event(alice, "reset")["room"] == "lobby");
  ws_client bob{srv.port(), "/ws/bob"};
  CHECK(bob.expect("welcome")["users"] == json::array({"alice", "bob"}));
}

TEST_CASE("a failed session closes its connection with 1011 and is cleaned "
          "up by the monitors",
          "[e2e][supervision]") {
  e2e t;
  auto& observer = t.login("observer");
  auto& victim = t.login("victim");
  observer.expect("presence");
  caf::anon_send_exit(find_session(t.srv, "victim"), caf::exit_reason::kill);
  check_closed(victim, 1011);
  check_left(observer, "victim");
  CHECK(t.srv.wait_metric("chat_sessions", 1));
  // Counted when the connection's read ends, which may follow the monitors.
  CHECK(
      t.srv.wait_metric("chat_disconnects_total{reason=\"server_error\"}", 1));
  ws_client again{t.srv.port(), "/ws/victim"};
  CHECK(again.expect("welcome")["user"] == "victim");
}
