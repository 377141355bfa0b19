// The room actor, driven directly: members are recording test actors.
#include "actor_fixture.hpp"

#include "actors/room.hpp"

using namespace test;
using namespace chat;

namespace {

/// A stand-in session: the room writes to its fake connection directly.
/// (The unused argument avoids CAF 0.17's zero-argument spawn path, which
/// UBSan reports: see test/ubsan.supp.)
session_actor::behavior_type idle_session(session_actor::pointer, int) {
  return {
      [](ws_text_atom, const std::string&, int64_t) {},
      [](ws_binary_atom, int64_t) {},
      [](ws_close_atom, uint16_t, const std::string&, disconnect_reason) {},
      [](ws_down_atom, const std::string&) {},
      [](shutdown_atom) {},
      [](name_lost_atom) {},
  };
}

struct member_probe {
  std::shared_ptr<fake_connection> conn = std::make_shared<fake_connection>();
  session_actor handle;
};

/// The room of `name`, as the registry hands it to a joining session.
room_actor room_named(caf::scoped_actor& self, const registry_actor& registry,
                      const std::string& name) {
  room_actor room;
  self->request(registry, 1s, join_atom::value, name)
      .receive(
          [&](room_actor& r) { room = r; },
          [&](caf::error&) { FAIL("the registry gave no room " << name); });
  return room;
}

/// A room "r" from the registry, and an actor to ask it from the test.
struct room_fixture : actor_fixture {
  caf::scoped_actor self{*sys};
  room_actor room = room_named(self, registry, "r");
};

} // namespace

TEST_CASE_METHOD(room_fixture,
                 "a room fans one frame out to every member in one order, "
                 "and presence to the others",
                 "[actors][room]") {
  std::vector<member_probe> members(3);
  for (std::size_t i = 0; i < members.size(); ++i) {
    members[i].handle = sys->spawn(idle_session, 0);
    self->request(room, 1s, join_atom::value, members[i].handle,
                  "m" + std::to_string(i), connection_ref{members[i].conn},
                  entry::join)
        .receive([](caf::ok_atom) {}, [](caf::error&) { FAIL("join failed"); });
    self->request(room, 1s, members_atom::value)
        .receive(
            [&](std::vector<std::string>& names) {
              CHECK(names.size() == i + 1);
            },
            [](caf::error&) { FAIL("members failed"); });
  }
  // Each joiner's first frame is its own join ack, before anything else.
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto ack = members[i].conn->expect("presence");
    CHECK(ack["user"] == "m" + std::to_string(i));
    CHECK(ack["event"] == "join");
  }
  // m0 saw m1 and m2 join; m1 saw m2; m2 saw nobody join after itself.
  CHECK(members[0].conn->expect("presence")["user"] == "m1");
  CHECK(members[0].conn->expect("presence")["user"] == "m2");
  CHECK(members[1].conn->expect("presence")["user"] == "m2");
  for (int k = 0; k < 20; ++k)
    self->request(room, 1s, publish_atom::value, std::string{"m0"},
                  std::to_string(k), uint64_t{0})
        .receive([](uint64_t) {}, [](caf::error&) { FAIL("publish failed"); });
  for (auto& m : members)
    for (int k = 0; k < 20; ++k) {
      auto msg = m.conn->expect("message");
      CHECK(msg["msg"] == std::to_string(k));
      CHECK(msg["room"] == "r");
      CHECK(msg["from_user"] == "m0");
    }
  CHECK(ctx.stats.deliveries.load() == 60);
  // A member that leaves gets nothing more; the rest hear `leave`.
  self->request(room, 1s, leave_atom::value, members[2].handle)
      .receive([](caf::ok_atom) {}, [](caf::error&) { FAIL(""); });
  CHECK(members[0].conn->expect("presence")["event"] == "leave");
  self->request(room, 1s, publish_atom::value, std::string{"m0"},
                std::string{"after"}, uint64_t{0})
      .receive([](uint64_t) {}, [](caf::error&) { FAIL(""); });
  CHECK(members[1].conn->expect("presence")["event"] == "leave");
  CHECK(members[1].conn->expect("message")["msg"] == "after");
  CHECK_FALSE(members[2].conn->next());
  for (auto& m : members)
    caf::anon_send_exit(m.handle, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(room_fixture,
                 "a member that dies is removed by its monitor with one "
                 "leave presence",
                 "[actors][room]") {
  member_probe a, b;
  a.handle = sys->spawn(idle_session, 0);
  b.handle = sys->spawn(idle_session, 0);
  for (auto* m : {&a, &b})
    self->request(room, 1s, join_atom::value, m->handle,
                  std::string{m == &a ? "a" : "b"}, connection_ref{m->conn},
                  entry::login)
        .receive([](caf::ok_atom) {}, [](caf::error&) { FAIL(""); });
  CHECK(a.conn->expect("welcome")["users"] == json::array({"a"}));
  CHECK(a.conn->expect("presence")["user"] == "b");
  caf::anon_send_exit(b.handle, caf::exit_reason::kill);
  auto left = a.conn->expect("presence");
  CHECK(left["event"] == "leave");
  CHECK(left["user"] == "b");
  CHECK_FALSE(a.conn->next());
  self->request(room, 1s, members_atom::value)
      .receive(
          [](std::vector<std::string>& names) {
            CHECK(names == std::vector<std::string>{"a"});
          },
          [](caf::error&) { FAIL(""); });
  caf::anon_send_exit(a.handle, caf::exit_reason::user_shutdown);
}
