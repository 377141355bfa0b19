// PROTOCOL.md "Hostile clients (v2)" on the wire: what a client sends that
// it should not, and how the server answers without losing anything.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "e2e.hpp"
#include "raw_socket.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;
using json = nlohmann::json;

namespace {

std::string nested_ping(std::size_t levels) {
  return R"({"type":"ping","id":)" + std::string(levels, '[') +
         std::string(levels, ']') + "}";
}

/// Every frame the server sends until it closes TCP.
std::vector<parsed_frame> frames_until_eof(raw_socket& sock) {
  std::string bytes;
  REQUIRE(sock.wait_eof(5s, &bytes));
  std::vector<parsed_frame> frames;
  while (auto f = take_frame(bytes))
    frames.push_back(*f);
  return frames;
}

/// The types of the text frames, plus "close <code>" and "pong".
std::vector<std::string> summary(const std::vector<parsed_frame>& frames) {
  std::vector<std::string> out;
  for (auto& f : frames) {
    if (f.opcode == op_close) {
      out.push_back("close " + std::to_string(close_code(f)));
    } else if (f.opcode == op_pong) {
      out.push_back("pong");
    } else {
      auto j = json::parse(f.payload, nullptr, false);
      auto type = j.value("type", "?");
      if (type == "message")
        type += " " + j.value("msg", "");
      out.push_back(type);
    }
  }
  return out;
}

} // namespace

TEST_CASE("JSON nested deeper than 32 levels is bad_json, whatever the frame "
          "size allows, and a 200,000-level ping id harms nothing",
          "[e2e][hostile]") {
  e2e t{[](auto& o) { o.lim.max_frame_bytes = 1 << 20; }};
  auto& alice = t.login("alice");
  // The id nests 31 levels inside the frame's object: 32 in all.
  alice.send_text(nested_ping(31));
  CHECK(alice.expect("pong")["id"].is_array());
  alice.send_text(nested_ping(32));
  CHECK(alice.expect("error")["code"] == "bad_json");
  // Copying or dumping this id recursively overflows the stack.
  alice.send_text(nested_ping(200'000));
  CHECK(alice.expect("error", 10s)["code"] == "bad_json");
  alice.send_json({{"type", "ping"}, {"id", "still here"}});
  CHECK(alice.expect("pong")["id"] == "still here");
}

TEST_CASE("names with a format character are refused, an emoji joined by "
          "U+200D is a name",
          "[e2e][hostile]") {
  test_server srv;
  // alice + U+202E (bidi override), U+00AD (soft hyphen), U+2060 (joiner).
  for (const char* look_alike : {"/ws/alice%E2%80%AE", "/ws/alice%C2%AD",
                                 "/ws/alice%E2%81%A0", "/ws/ali%E2%80%8Dce"}) {
    INFO(look_alike);
    ws_client c{srv.port(), look_alike};
    CHECK(c.expect("error")["code"] == "bad_username");
    check_closed(c, 1008);
  }
  // 👩‍💻: woman, U+200D, laptop.
  ws_client coder{srv.port(), "/ws/%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB"};
  CHECK(coder.expect("welcome")["user"] == "\U0001F469\u200D\U0001F4BB");
}

TEST_CASE_METHOD(alice_logged_in,
                 "a whisper to a text that is no valid name gets unknown_user "
                 "without a registry lookup of it",
                 "[e2e][hostile]") {
  alice.send_json(
      {{"type", "whisper"}, {"to", std::string(40'000, 'x')}, {"msg", "hi"}});
  auto err = alice.expect("error");
  CHECK(err["code"] == "unknown_user");
  CHECK(err["detail"].get<std::string>().size() < 200);
  alice.send_json({{"to_user", "bob\u202E"}, {"msg", "hi"}});
  CHECK(alice.expect("error")["code"] == "unknown_user");
}

TEST_CASE("replies owed for frames before a protocol violation leave before "
          "the close (Autobahn 3.2, 4.1.3, 4.1.4, 4.2.3, 4.2.4, 5.15)",
          "[e2e][hostile][ws]") {
  test_server srv;
  auto say = ws_frame(op_text, R"({"type":"say","msg":"before"})");
  auto ping = ws_frame(op_ping, "after");
  struct family {
    const char* name;
    std::string violation;
  };
  auto with_rsv = ws_frame(op_text, R"({"type":"say","msg":"x"})");
  with_rsv[0] = static_cast<char>(with_rsv[0] | 0x20); // RSV2
  std::vector<family> families{
      {"3.2 reserved bit", with_rsv},
      {"4.1.3 reserved data opcode 5", ws_frame(0x5, "")},
      {"4.1.4 reserved data opcode 6 with payload", ws_frame(0x6, "payload")},
      {"4.2.3 reserved control opcode 0xD", ws_frame(0xD, "")},
      {"4.2.4 reserved control opcode 0xE with payload",
       ws_frame(0xE, "payload")},
      {"5.15 a continuation after the message ended",
       ws_frame(op_text, R"({"type":"say",)", false) +
           ws_frame(op_continuation, R"("msg":"frag"})") +
           ws_frame(op_continuation, "x", false)},
  };
  for (auto& fam : families) {
    INFO(fam.name);
    raw_socket sock{srv.port()};
    sock.upgrade("/ws/alice");
    // One TCP write: a valid message, the violation, a ping.
    sock.send(say + fam.violation + ping);
    auto got = summary(frames_until_eof(sock));
    sock.shutdown_write();
    INFO(::Catch::Detail::stringify(got));
    REQUIRE(got.size() >= 2);
    CHECK(got.back() == "close 1002");
    // The echo of the message before the violation came, before the close;
    // the ping after it was not answered.
    CHECK(std::find(got.begin(), got.end(), "message before") != got.end());
    CHECK(std::find(got.begin(), got.end(), "pong") == got.end());
    CHECK(srv.wait_metric("chat_sessions", 0));
  }
}

TEST_CASE("a client's close right behind a message still gets the message's "
          "echo before the close answer",
          "[e2e][hostile][ws]") {
  test_server srv;
  raw_socket sock{srv.port()};
  sock.upgrade("/ws/alice");
  sock.send(ws_frame(op_text, R"({"type":"say","msg":"last words"})") +
            ws_frame(op_close, std::string("\x03\xe8", 2)));
  auto got = summary(frames_until_eof(sock));
  INFO(::Catch::Detail::stringify(got));
  REQUIRE(got.size() >= 2);
  CHECK(got[got.size() - 2] == "message last words");
  CHECK(got.back() == "close 1000");
}

TEST_CASE("frames a client sends right behind its upgrade request, in the "
          "same write, are read",
          "[e2e][hostile][ws]") {
  test_server srv;
  raw_socket sock{srv.port()};
  sock.send("GET /ws/alice HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" +
            ws_frame(op_text, R"({"type":"ping","id":"early"})"));
  std::string bytes = sock.recv_until("\r\n\r\n");
  REQUIRE(bytes.rfind("HTTP/1.1 101", 0) == 0);
  bytes = bytes.substr(bytes.find("\r\n\r\n") + 4);
  std::vector<std::string> types;
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (types.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    bytes += sock.recv_some(100ms);
    while (auto f = take_frame(bytes)) {
      auto j = json::parse(f->payload, nullptr, false);
      types.push_back(j.value("type", "") + ":" +
                      (j.contains("id") ? j["id"].dump() : ""));
    }
  }
  CHECK(types == std::vector<std::string>{"welcome:", "pong:\"early\""});
}

TEST_CASE("a client that sends pings and never reads is a slow consumer: "
          "closed with 1008, its name freed",
          "[e2e][hostile][limits]") {
  e2e t{[](auto& o) {
    o.lim.max_backlog_bytes = 64 * 1024;
    unlimited_rate(o); // pings are control frames: never limited
  }};
  auto& observer = t.login("observer");
  raw_socket flooder{t.srv.port(), 4096};
  flooder.upgrade("/ws/flooder");
  observer.expect("presence");
  const auto ping = ws_frame(op_ping, std::string(125, 'p'));
  std::string burst;
  for (int i = 0; i < 1000; ++i)
    burst += ping;
  // 400k pings at most; the server stops taking them long before.
  for (int i = 0; i < 400 && flooder.send(burst); ++i) {
    if (t.srv.metric("chat_disconnects_total{reason=\"slow_consumer\"}") == 1)
      break;
  }
  CHECK(
      t.srv.wait_metric("chat_disconnects_total{reason=\"slow_consumer\"}", 1));
  auto left = observer.expect("presence");
  CHECK(left["event"] == "leave");
  CHECK(left["user"] == "flooder");
  ws_client again{t.srv.port(), "/ws/flooder"};
  CHECK(again.expect("welcome")["user"] == "flooder");
}

namespace {

/// The status line and headers the server answers an upgrade of /ws/alice
/// with; `headers` are added to a valid request (Host: chat.test:8080).
std::string upgrade_answer(uint16_t port, const std::string& headers,
                           bool with_version = true) {
  raw_socket sock{port};
  sock.send("GET /ws/alice HTTP/1.1\r\nHost: chat.test:8080\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
            std::string(with_version ? "Sec-WebSocket-Version: 13\r\n" : "") +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + headers +
            "\r\n");
  return sock.recv_until("\r\n\r\n");
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

} // namespace

TEST_CASE("a browser page of a foreign origin gets 403, while its own host "
          "and a client without Origin are let in",
          "[e2e][hostile][origin]") {
  test_server srv;
  auto port = srv.port();
  CHECK(starts_with(upgrade_answer(port, "Origin: http://evil.test\r\n"),
                    "HTTP/1.1 403"));
  CHECK(starts_with(upgrade_answer(port, "Origin: http://chat.test\r\n"),
                    "HTTP/1.1 403")); // another port is another origin
  CHECK(starts_with(upgrade_answer(port, "Origin: null\r\n"), "HTTP/1.1 403"));
  CHECK(starts_with(upgrade_answer(port, "Origin: http://chat.test:8080\r\n"),
                    "HTTP/1.1 101"));
  CHECK(starts_with(upgrade_answer(port, "Origin: HTTP://Chat.Test:8080\r\n"),
                    "HTTP/1.1 101"));
  CHECK(starts_with(upgrade_answer(port, ""), "HTTP/1.1 101"));
  CHECK(srv.metric("chat_sessions") <= 1);
}

TEST_CASE(
    "the flag --allowed-origins lets the listed origins in, or any origin",
    "[e2e][hostile][origin]") {
  test_server listed{[](auto& o) {
    REQUIRE(o.allowed_origins.parse(
        "https://app.example.com, http://localhost:3000"));
  }};
  CHECK(starts_with(
      upgrade_answer(listed.port(), "Origin: https://app.example.com\r\n"),
      "HTTP/1.1 101"));
  CHECK(starts_with(
      upgrade_answer(listed.port(), "Origin: https://app.example.com:443\r\n"),
      "HTTP/1.1 101"));
  CHECK(starts_with(
      upgrade_answer(listed.port(), "Origin: http://app.example.com\r\n"),
      "HTTP/1.1 403"));
  test_server any{[](auto& o) { REQUIRE(o.allowed_origins.parse("*")); }};
  CHECK(starts_with(upgrade_answer(any.port(), "Origin: http://evil.test\r\n"),
                    "HTTP/1.1 101"));
}

TEST_CASE("a refused upgrade says why: 426 names websocket, no version is "
          "400, another version is 426 with 13",
          "[e2e][hostile][ws]") {
  test_server srv;
  raw_socket plain{srv.port()};
  plain.send("GET /ws/alice HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = plain.recv_until("\r\n\r\n");
  CHECK(starts_with(head, "HTTP/1.1 426"));
  CHECK(head.find("Upgrade: websocket\r\n") != std::string::npos);
  CHECK(starts_with(upgrade_answer(srv.port(), "", false), "HTTP/1.1 400"));
  auto old = upgrade_answer(srv.port(), "Sec-WebSocket-Version: 8\r\n", false);
  CHECK(starts_with(old, "HTTP/1.1 426"));
  CHECK(old.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
}

TEST_CASE("while draining, a new upgrade gets 503 and never a session",
          "[e2e][hostile][shutdown]") {
  test_server srv;
  // A keep-alive connection from before the drain, upgrading after it.
  raw_socket early{srv.port()};
  REQUIRE(healthz_ok(early));
  srv.server().drain();
  early.send("GET /ws/late HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  CHECK(starts_with(early.recv_until("\r\n\r\n"), "HTTP/1.1 503"));
  // No new connection reaches /metrics now: read the counter itself.
  CHECK(srv.server().context().stats.sessions.load() == 0);
}
