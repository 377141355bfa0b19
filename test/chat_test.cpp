// PROTOCOL.md client and server frames, rooms, presence and ordering.
#include <catch2/catch.hpp>

#include <map>
#include <thread>
#include <vector>

#include "actors/codec.hpp"
#include "e2e.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;

namespace {

/// Reads `n` chat messages, skipping presence frames.
std::vector<json> messages(ws_client& c, std::size_t n) {
  std::vector<json> out;
  while (out.size() < n)
    out.push_back(c.expect("message", 5s));
  return out;
}

} // namespace

TEST_CASE_METHOD(
    alice_and_bob,
    "a seed-format message with empty to_user reaches the whole room, "
    "the sender included",
    "[e2e][chat]") {
  alice.send_text(R"({"to_user": "", "msg": "hello"})");
  auto before = chat::codec::now_ms();
  for (auto* c : {&alice, &bob}) {
    auto m = c->expect("message");
    CHECK(m["from_user"] == "alice");
    CHECK(m["to_user"] == "");
    CHECK(m["room"] == "lobby");
    CHECK(m["msg"] == "hello");
    CHECK(m["id"].is_number_unsigned());
    CHECK(m["ts"].get<int64_t>() <= chat::codec::now_ms());
    CHECK(m["ts"].get<int64_t>() >= before - 5000);
  }
}

TEST_CASE_METHOD(alice_and_bob, "missing or null to_user is a broadcast too",
                 "[e2e][chat]") {
  alice.send_text(R"({"msg": "no to_user"})");
  alice.send_text(R"({"to_user": null, "msg": "null to_user"})");
  auto got = messages(bob, 2);
  CHECK(got[0]["msg"] == "no to_user");
  CHECK(got[1]["msg"] == "null to_user");
}

TEST_CASE_METHOD(
    alice_and_bob,
    "a seed-format message to a name reaches only that user and echoes "
    "to the sender",
    "[e2e][chat]") {
  auto& carol = login("carol");
  alice.send_json({{"to_user", "bob"}, {"msg", "psst"}});
  for (auto* c : {&alice, &bob}) {
    auto m = c->expect("message");
    CHECK(m["from_user"] == "alice");
    CHECK(m["to_user"] == "bob");
    CHECK(m["msg"] == "psst");
  }
  carol.send_json({{"to_user", ""}, {"msg", "marker"}});
  CHECK(carol.expect("message")["msg"] == "marker");
  // carol saw only her own marker, not the private message.
  CHECK(bob.expect("message")["msg"] == "marker");
  CHECK(srv.metric("chat_messages_total{kind=\"private\"}") == 1);
  CHECK(srv.metric("chat_messages_total{kind=\"broadcast\"}") == 1);
  CHECK(srv.metric("chat_deliveries_total") == 2 + 3);
}

TEST_CASE_METHOD(
    alice_logged_in,
    "from_user is the login name whatever the client sends, unknown "
    "fields are ignored",
    "[e2e][chat]") {
  alice.send_text(
      R"({"msg": "hi", "from_user": "mallory", "id": 1, "extra": [1,2]})");
  auto m = alice.expect("message");
  CHECK(m["from_user"] == "alice");
  CHECK(m["msg"] == "hi");
}

TEST_CASE_METHOD(alice_and_bob, "message ids are unique and increase",
                 "[e2e][chat]") {
  for (int i = 0; i < 10; ++i) {
    alice.send_json({{"type", "say"}, {"msg", std::to_string(i)}});
    alice.send_json({{"type", "whisper"}, {"to", "bob"}, {"msg", "p"}});
  }
  auto got = messages(bob, 20);
  for (std::size_t i = 1; i < got.size(); ++i)
    CHECK(got[i]["id"].get<uint64_t>() > got[i - 1]["id"].get<uint64_t>());
}

TEST_CASE_METHOD(alice_and_bob,
                 "say broadcasts to the current room, another room is refused",
                 "[e2e][chat]") {
  alice.send_json({{"type", "say"}, {"msg", "one"}});
  alice.send_json({{"type", "say"}, {"msg", "two"}, {"room", "lobby"}});
  auto got = messages(bob, 2);
  CHECK(got[0]["msg"] == "one");
  CHECK(got[1]["msg"] == "two");
  CHECK(got[1]["room"] == "lobby");
  alice.send_json({{"type", "say"}, {"msg", "x"}, {"room", "elsewhere"}});
  auto e = alice.expect("error");
  CHECK(e["code"] == "bad_request");
}

TEST_CASE_METHOD(
    alice_and_bob,
    "whisper reaches its recipient and echoes, an unknown name gets "
    "unknown_user and the session stays",
    "[e2e][chat]") {
  alice.send_json({{"type", "whisper"}, {"to", "bob"}, {"msg", "hi bob"}});
  for (auto* c : {&alice, &bob}) {
    auto m = c->expect("message");
    CHECK(m["to_user"] == "bob");
    CHECK(m["from_user"] == "alice");
  }
  alice.send_json({{"type", "whisper"}, {"to", "nobody"}, {"msg", "?"}});
  auto e = alice.expect("error");
  CHECK(e["code"] == "unknown_user");
  CHECK(e["detail"].is_string());
  alice.send_json({{"to_user", "ghost"}, {"msg", "?"}});
  CHECK(alice.expect("error")["code"] == "unknown_user");
  alice.send_json({{"type", "ping"}, {"id", 7}});
  CHECK(alice.expect("pong")["id"] == 7);
  CHECK(srv.metric("chat_errors_total{code=\"unknown_user\"}") == 2);
}

TEST_CASE_METHOD(
    alice_and_bob,
    "join moves a member between rooms with presence on both sides",
    "[e2e][chat][rooms]") {
  auto& carol = login("carol");
  alice.expect("presence"); // bob
  alice.expect("presence"); // carol
  bob.expect("presence");   // carol
  bob.send_json({{"type", "join"}, {"room", "dev"}});
  auto ack = bob.expect("presence");
  CHECK(ack == json{{"type", "presence"},
                    {"event", "join"},
                    {"user", "bob"},
                    {"room", "dev"}});
  for (auto* c : {&alice, &carol}) {
    auto left = c->expect("presence");
    CHECK(left == json{{"type", "presence"},
                       {"event", "leave"},
                       {"user", "bob"},
                       {"room", "lobby"}});
  }
  CHECK(srv.metric("chat_rooms") == 2);
  alice.send_json({{"type", "join"}, {"room", "dev"}});
  CHECK(alice.expect("presence")["room"] == "dev");
  auto joined = bob.expect("presence");
  CHECK(joined["event"] == "join");
  CHECK(joined["user"] == "alice");
  CHECK(carol.expect("presence")["event"] == "leave");
  // A broadcast in dev reaches dev only.
  alice.send_json({{"type", "say"}, {"msg", "in dev"}});
  CHECK(bob.expect("message")["room"] == "dev");
  CHECK(alice.expect("message")["room"] == "dev");
  carol.send_json({{"type", "say"}, {"msg", "in lobby"}});
  CHECK(carol.expect("message")["msg"] == "in lobby");
  CHECK(alice.recv(300ms) == std::nullopt);
  CHECK(bob.recv(0ms) == std::nullopt);
}

TEST_CASE_METHOD(alice_logged_in, "an emptied room ends, the lobby never does",
                 "[e2e][chat][rooms]") {
  alice.send_json({{"type", "join"}, {"room", "tmp"}});
  alice.expect("presence");
  CHECK(srv.metric("chat_rooms") == 2);
  alice.send_json({{"type", "join"}, {"room", "lobby"}});
  alice.expect("presence");
  CHECK(srv.wait_metric("chat_rooms", 1));
  alice.send_json({{"type", "users"}, {"room", "tmp"}});
  CHECK(alice.expect("users")["users"] == json::array());
  // Joining it again creates it again.
  alice.send_json({{"type", "join"}, {"room", "tmp"}});
  CHECK(alice.expect("presence")["room"] == "tmp");
  alice.send_json({{"type", "say"}, {"msg", "back"}});
  CHECK(alice.expect("message")["room"] == "tmp");
}

TEST_CASE("users answers the sorted member list of a room", "[e2e][chat]") {
  test_server srv;
  auto zed = login(srv, "zed");
  auto amy = login(srv, "amy");
  auto mia = login(srv, "mia");
  zed->send_json({{"type", "users"}});
  auto u = zed->expect("users");
  CHECK(u["room"] == "lobby");
  CHECK(u["users"] == json::array({"amy", "mia", "zed"}));
  mia->send_json({{"type", "join"}, {"room", "dev"}});
  mia->expect("presence");
  zed->send_json({{"type", "users"}, {"room", "dev"}});
  u = zed->expect("users");
  CHECK(u["room"] == "dev");
  CHECK(u["users"] == json::array({"mia"}));
  zed->send_json({{"type", "users"}, {"room", "nowhere"}});
  CHECK(zed->expect("users")["users"] == json::array());
}

TEST_CASE_METHOD(alice_logged_in,
                 "ping is answered with pong carrying the same id",
                 "[e2e][chat]") {
  alice.send_json({{"type", "ping"}, {"id", 42}});
  CHECK(alice.expect("pong") == json{{"type", "pong"}, {"id", 42}});
  alice.send_json({{"type", "ping"}, {"id", "abc"}});
  CHECK(alice.expect("pong")["id"] == "abc");
  alice.send_json({{"type", "ping"}});
  CHECK(alice.expect("pong")["id"].is_null());
}

TEST_CASE_METHOD(alice_logged_in,
                 "bad frames get bad_json or bad_request and the session stays",
                 "[e2e][chat][errors]") {
  struct {
    const char* frame;
    const char* code;
  } cases[] = {
      {"not json", "bad_json"},
      {"[1,2,3]", "bad_json"},
      {"\"a string\"", "bad_json"},
      {"42", "bad_json"},
      {"{\"msg\": 5}", "bad_request"},
      {"{\"to_user\": 5, \"msg\": \"x\"}", "bad_request"},
      {"{\"to_user\": \"\"}", "bad_request"},
      {"{\"type\": \"dance\"}", "bad_request"},
      {"{\"type\": 3}", "bad_request"},
      {"{\"type\": \"say\"}", "bad_request"},
      {"{\"type\": \"say\", \"msg\": \"x\", \"room\": 1}", "bad_request"},
      {"{\"type\": \"whisper\", \"msg\": \"x\"}", "bad_request"},
      {"{\"type\": \"whisper\", \"to\": \"\", \"msg\": \"x\"}", "bad_request"},
      {"{\"type\": \"join\"}", "bad_request"},
      {"{\"type\": \"join\", \"room\": \"a b\"}", "bad_request"},
      {"{\"type\": \"join\", \"room\": \"\"}", "bad_request"},
      {"{\"type\": \"users\", \"room\": []}", "bad_request"},
  };
  for (auto& c : cases) {
    INFO(c.frame);
    alice.send_text(c.frame);
    auto e = alice.expect("error");
    CHECK(e["code"] == c.code);
    CHECK(e["detail"].is_string());
  }
  alice.send_json({{"msg", "alive"}});
  CHECK(alice.expect("message")["msg"] == "alive");
  CHECK(srv.metric("chat_errors_total{code=\"bad_json\"}") == 4);
  CHECK(srv.metric("chat_errors_total{code=\"bad_request\"}") == 13);
}

TEST_CASE("a disconnect sends one leave presence and frees the name",
          "[e2e][chat][presence]") {
  test_server srv;
  auto alice = login(srv, "alice");
  {
    auto bob = login(srv, "bob");
    alice->expect("presence");
    bob->close();
  }
  auto left = alice->expect("presence");
  CHECK(left == json{{"type", "presence"},
                     {"event", "leave"},
                     {"user", "bob"},
                     {"room", "lobby"}});
  CHECK(alice->recv(300ms) == std::nullopt); // exactly once
  CHECK(srv.wait_metric("chat_sessions", 1));
  alice->send_json({{"type", "whisper"}, {"to", "bob"}, {"msg", "?"}});
  CHECK(alice->expect("error")["code"] == "unknown_user");
}

TEST_CASE("one sender's messages reach each recipient in the order sent, "
          "broadcast and private mixed",
          "[e2e][chat][order]") {
  test_server srv{unlimited_rate};
  auto alice = login(srv, "alice");
  auto bob = login(srv, "bob");
  constexpr int n = 200;
  for (int i = 0; i < n; ++i) {
    if (i % 3 == 0)
      alice->send_json({{"to_user", "bob"}, {"msg", std::to_string(i)}});
    else
      alice->send_json({{"to_user", ""}, {"msg", std::to_string(i)}});
  }
  for (auto* c : {bob.get(), alice.get()}) {
    auto got = messages(*c, n);
    for (int i = 0; i < n; ++i)
      CHECK(got[i]["msg"] == std::to_string(i));
  }
}

TEST_CASE("all members of a room see its messages in one and the same order",
          "[e2e][chat][order]") {
  test_server srv{unlimited_rate};
  constexpr int senders = 4;
  constexpr int per_sender = 50;
  std::vector<std::unique_ptr<ws_client>> clients;
  for (int i = 0; i < senders; ++i)
    clients.push_back(login(srv, "s" + std::to_string(i)));
  std::vector<std::thread> threads;
  for (int i = 0; i < senders; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < per_sender; ++k)
        clients[i]->send_json(
            {{"msg", std::to_string(i) + ":" + std::to_string(k)}});
    });
  for (auto& t : threads)
    t.join();
  std::vector<std::vector<std::string>> seen;
  for (auto& c : clients) {
    std::vector<std::string> order;
    for (auto& m : messages(*c, senders * per_sender))
      order.push_back(m["msg"]);
    seen.push_back(order);
  }
  for (int i = 1; i < senders; ++i)
    CHECK(seen[i] == seen[0]);
  // And each sender's own messages keep their order within it.
  std::map<std::string, int> next;
  for (auto& msg : seen[0]) {
    auto who = msg.substr(0, msg.find(':'));
    CHECK(std::stoi(msg.substr(msg.find(':') + 1)) == next[who]++);
  }
}

TEST_CASE("nothing reaches a member after its leave presence",
          "[e2e][chat][presence]") {
  test_server srv{unlimited_rate};
  auto alice = login(srv, "alice");
  auto bob = login(srv, "bob");
  alice->expect("presence");
  std::thread talker([&] {
    for (int i = 0; i < 200; ++i)
      alice->send_json({{"msg", std::to_string(i)}});
  });
  bob->send_json({{"type", "join"}, {"room", "quiet"}});
  talker.join();
  // bob's stream: lobby messages, then his join ack, then nothing from lobby.
  bool joined = false;
  while (auto f = bob->recv(500ms)) {
    if ((*f)["type"] == "presence" && (*f)["room"] == "quiet")
      joined = true;
    else if (joined && (*f)["type"] == "message")
      FAIL("lobby message after leaving: " << f->dump());
  }
  CHECK(joined);
}
