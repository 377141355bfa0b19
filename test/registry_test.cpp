// The registry actor, asked directly (no sockets).
#include "actor_fixture.hpp"

using namespace test;
using namespace chat;

TEST_CASE_METHOD(actor_fixture, "the registry refuses a taken name",
                 "[actors][registry]") {
  auto alice = login("alice");
  caf::scoped_actor self{*sys};
  auto fake = caf::actor_cast<session_actor>(self);
  bool refused = false;
  self->request(registry, 1s, login_atom::value, std::string{"alice"}, fake,
                connection_ref{})
      .receive(
          [](caf::ok_atom) { FAIL("a taken name was granted"); },
          [&](caf::error& err) { refused = is(err, chat_errc::name_taken); });
  CHECK(refused);
  CHECK(ctx.stats.sessions.load() == 1);
}

TEST_CASE_METHOD(actor_fixture,
                 "lookup finds logged-in names and refuses others",
                 "[actors][registry]") {
  auto alice = login("alice");
  caf::scoped_actor self{*sys};
  self->request(registry, 1s, lookup_atom::value, std::string{"alice"})
      .receive(
          [&](session_actor& s, connection_ref& conn, registry_peer_actor&) {
            CHECK(s == alice.session);
            CHECK(conn.out.lock() == alice.conn);
          },
          [](caf::error&) { FAIL("alice not found"); });
  bool unknown = false;
  self->request(registry, 1s, lookup_atom::value, std::string{"zed"})
      .receive(
          [](session_actor&, connection_ref&, registry_peer_actor&) {
            FAIL("zed found");
          },
          [&](caf::error& err) { unknown = is(err, chat_errc::unknown_user); });
  CHECK(unknown);
}

TEST_CASE_METHOD(actor_fixture,
                 "a session that ends frees its name (monitor), then the "
                 "name can log in again",
                 "[actors][registry]") {
  {
    auto alice = login("alice");
    alice.drop();
  }
  caf::scoped_actor self{*sys};
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    self->request(registry, 1s, lookup_atom::value, std::string{"alice"})
        .receive([](session_actor&, connection_ref&, registry_peer_actor&) {},
                 [&](caf::error&) { gone = true; });
    if (!gone)
      std::this_thread::sleep_for(10ms);
  }
  CHECK(gone);
  CHECK(ctx.stats.sessions.load() == 0);
  auto again = login("alice");
  CHECK(ctx.stats.sessions.load() == 1);
}

TEST_CASE_METHOD(actor_fixture,
                 "the room directory spawns rooms on demand and lets empty "
                 "ones go, except the lobby",
                 "[actors][registry]") {
  auto alice = login("alice"); // the registry has started and made lobby
  CHECK(ctx.stats.rooms.load() == 1);
  alice.say_json({{"type", "join"}, {"room", "dev"}});
  alice.conn->expect("presence");
  CHECK(ctx.stats.rooms.load() == 2);
  alice.say_json({{"type", "join"}, {"room", "lobby"}});
  alice.conn->expect("presence");
  for (int i = 0; i < 100 && ctx.stats.rooms.load() != 1; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(ctx.stats.rooms.load() == 1);
  caf::scoped_actor self{*sys};
  self->request(registry, 1s, members_atom::value, std::string{"lobby"})
      .receive(
          [](std::vector<std::string>& names) {
            CHECK(names == std::vector<std::string>{"alice"});
          },
          [](caf::error&) { FAIL("no lobby"); });
}
