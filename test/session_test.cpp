// The session actor on a fake connection (no sockets).
#include "actor_fixture.hpp"

using namespace test;
using namespace chat;

TEST_CASE_METHOD(actor_fixture,
                 "a session logs in, says welcome, and routes say and whisper",
                 "[actors][session]") {
  auto alice = login("alice");
  auto bob = login("bob");
  alice.conn->expect("presence");
  alice.say_json({{"to_user", ""}, {"msg", "hi all"}});
  CHECK(bob.conn->expect("message")["msg"] == "hi all");
  CHECK(alice.conn->expect("message")["msg"] == "hi all");
  bob.say_json({{"type", "whisper"}, {"to", "alice"}, {"msg", "psst"}});
  auto m = alice.conn->expect("message");
  CHECK(m["to_user"] == "alice");
  CHECK(m["from_user"] == "bob");
  CHECK(bob.conn->expect("message")["msg"] == "psst");
}

TEST_CASE_METHOD(actor_fixture,
                 "a session refuses a bad name with 1008 and ends",
                 "[actors][session]") {
  auto bad = connect("a b");
  CHECK(bad.conn->expect("error")["code"] == "bad_username");
  CHECK(bad.conn->wait_close() == uint16_t{1008});
  CHECK(ctx.stats.sessions.load() == 0);
}

TEST_CASE_METHOD(actor_fixture,
                 "a session turns bad input into error frames and goes on",
                 "[actors][session]") {
  auto alice = login("alice");
  alice.say_json(json::array({1}));
  CHECK(alice.conn->expect("error")["code"] == "bad_json");
  alice.say_json({{"type", "whisper"}, {"to", "ghost"}, {"msg", "x"}});
  CHECK(alice.conn->expect("error")["code"] == "unknown_user");
  caf::anon_send(alice.session, ws_binary_atom::value, int64_t{0});
  CHECK(alice.conn->expect("error")["code"] == "unsupported");
  alice.say_json({{"type", "ping"}, {"id", 3}});
  CHECK(alice.conn->expect("pong")["id"] == 3);
}

TEST_CASE_METHOD(actor_fixture, "the token bucket is timed by frame arrival",
                 "[actors][session]") {
  ctx.lim.rate_per_second = 10;
  ctx.lim.rate_burst = 2;
  auto alice = login("alice");
  auto ping_at = [&](int64_t ns) {
    caf::anon_send(alice.session, ws_text_atom::value,
                   std::string{R"({"type":"ping"})"}, ns);
  };
  const int64_t t0 = 1'000'000'000'000;
  ping_at(t0);
  ping_at(t0);
  ping_at(t0);               // bucket empty
  ping_at(t0 + 100'000'000); // 100 ms later: one token back
  CHECK(alice.conn->next(1s).value()["type"] == "pong");
  CHECK(alice.conn->next(1s).value()["type"] == "pong");
  CHECK(alice.conn->next(1s).value()["code"] == "rate_limited");
  CHECK(alice.conn->next(1s).value()["type"] == "pong");
}

TEST_CASE_METHOD(actor_fixture, "shutdown closes a session with 1001",
                 "[actors][session]") {
  auto alice = login("alice");
  caf::anon_send(registry, shutdown_atom::value);
  CHECK(alice.conn->wait_close() == uint16_t{1001});
}
