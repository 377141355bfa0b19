// PROTOCOL.md "Usernames" and the `welcome` frame.
#include <catch2/catch.hpp>

#include "e2e.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;

namespace {

/// `c`'s login is refused: its very first frame is an error of `code`, then
/// the server closes it with 1008.
void check_refused(ws_client& c, const std::string& code) {
  auto e = c.recv();
  REQUIRE(e);
  CHECK((*e)["type"] == "error");
  CHECK((*e)["code"] == code);
  check_closed(c, 1008);
}

} // namespace

TEST_CASE("the first frame after a login is welcome with user, room, users",
          "[e2e][login]") {
  test_server srv;
  ws_client alice{srv.port(), "/ws/alice"};
  auto w = alice.recv();
  REQUIRE(w);
  CHECK((*w)["type"] == "welcome");
  CHECK((*w)["user"] == "alice");
  CHECK((*w)["room"] == "lobby");
  CHECK((*w)["users"] == json::array({"alice"}));
  ws_client bob{srv.port(), "/ws/bob"};
  auto wb = bob.recv();
  REQUIRE(wb);
  CHECK((*wb)["type"] == "welcome");
  CHECK((*wb)["users"] == json::array({"alice", "bob"}));
  CHECK(srv.metric("chat_sessions") == 2);
}

TEST_CASE("Chinese, emoji and accented names are valid, percent-decoded",
          "[e2e][login]") {
  test_server srv;
  struct {
    const char* path;
    const char* name;
  } cases[] = {{"/ws/%E5%B0%8F%E6%98%8E", "小明"},
               {"/ws/zo%C3%AB", "zoë"},
               {"/ws/%F0%9F%A6%8A", "🦊"},
               {"/ws/Jos%C3%A9-M", "José-M"},
               // 32 code points, each two bytes: the longest valid name.
               {"/ws/"
                "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
                "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
                "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
                "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9",
                "éééééééééééééééééééééééééééééééé"}};
  for (auto& c : cases) {
    INFO(c.path);
    ws_client client{srv.port(), c.path};
    auto w = client.recv();
    REQUIRE(w);
    CHECK((*w)["type"] == "welcome");
    CHECK((*w)["user"] == c.name);
  }
}

TEST_CASE("an invalid name is refused with bad_username and close 1008",
          "[e2e][login]") {
  test_server srv;
  std::string too_long = "/ws/" + std::string(33, 'a');
  for (std::string path :
       {std::string{"/ws/"}, too_long, std::string{"/ws/a%20b"},
        std::string{"/ws/a%09b"}, std::string{"/ws/a%01b"},
        std::string{"/ws/a%7Fb"}, std::string{"/ws/a%C2%85b"},
        std::string{"/ws/a%E3%80%80b"}, std::string{"/ws/a%2Fb"},
        std::string{"/ws/a/b"}, std::string{"/ws/%FF%FE"},
        std::string{"/ws/%C0%AF"}, std::string{"/ws/%ZZ"}}) {
    INFO(path);
    ws_client client{srv.port(), path};
    check_refused(client, "bad_username");
  }
  CHECK(srv.metric("chat_sessions") == 0);
  CHECK(srv.metric("chat_errors_total{code=\"bad_username\"}") == 13);
}

TEST_CASE_METHOD(
    alice_logged_in,
    "a taken name is refused with name_taken, its holder is undisturbed",
    "[e2e][login]") {
  ws_client impostor{srv.port(), "/ws/alice"};
  check_refused(impostor, "name_taken");
  // The holder saw nothing and still chats.
  CHECK_FALSE(alice.recv(200ms));
  alice.send_json({{"to_user", ""}, {"msg", "still here"}});
  auto m = alice.expect("message");
  CHECK(m["msg"] == "still here");
  CHECK(m["from_user"] == "alice");
}

TEST_CASE("a name is free again once its session has closed", "[e2e][login]") {
  test_server srv;
  {
    ws_client alice{srv.port(), "/ws/alice"};
    alice.expect("welcome");
    alice.close();
  }
  REQUIRE(srv.wait_metric("chat_sessions", 0));
  ws_client again{srv.port(), "/ws/alice"};
  CHECK(again.expect("welcome")["user"] == "alice");
}
