// RFC 6455 on the wire (net/ws_connection.cpp, net/ws_reader.hpp): the
// opening handshake's refusals, control frames, fragments, the close
// handshake both ways and what a broken stream earns, with hand-made bytes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "e2e.hpp"
#include "raw_socket.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;

namespace {

/// Reads frames until one with `opcode` arrives; the frames before it are
/// kept in `skipped`.
std::optional<parsed_frame>
read_until(raw_socket& sock, std::string& bytes, uint8_t opcode,
           std::vector<parsed_frame>* skipped = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    while (auto f = take_frame(bytes)) {
      if (f->opcode == opcode)
        return f;
      if (skipped)
        skipped->push_back(*f);
    }
    bytes += sock.recv_some(100ms);
  }
  return std::nullopt;
}

/// Whether a text frame among `frames` is a `type` with this `msg`.
bool has_message(const std::vector<parsed_frame>& frames, const char* type,
                 const std::string& msg) {
  for (auto& f : frames) {
    auto j = nlohmann::json::parse(f.payload, nullptr, false);
    if (j.is_object() && j.value("type", "") == type &&
        j.value("msg", "") == msg)
      return true;
  }
  return false;
}

std::string upgrade_request(const std::string& extra_headers) {
  return "GET /ws/alice HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\n" +
         extra_headers + "\r\n";
}

} // namespace

TEST_CASE("an upgrade with another WebSocket version gets 426 with the "
          "version this server speaks, a bad key gets 400",
          "[e2e][ws]") {
  test_server srv;
  raw_socket old{srv.port()};
  old.send(upgrade_request("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 8\r\n"));
  auto head = old.recv_until("\r\n\r\n");
  CHECK(head.rfind("HTTP/1.1 426", 0) == 0);
  CHECK(head.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);

  raw_socket bad_key{srv.port()};
  bad_key.send(upgrade_request("Sec-WebSocket-Key: short\r\n"
                               "Sec-WebSocket-Version: 13\r\n"));
  CHECK(bad_key.recv_until("\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(srv.metric("chat_sessions") == 0);
}

TEST_CASE("a ping is answered with a pong carrying its payload, and a "
          "message in fragments, with a ping between them, arrives whole",
          "[e2e][ws]") {
  test_server srv;
  raw_socket sock{srv.port()};
  sock.upgrade("/ws/alice");
  std::string bytes;
  sock.send(ws_frame(op_ping, "hello?"));
  auto pong = read_until(sock, bytes, op_pong);
  REQUIRE(pong);
  CHECK(pong->payload == "hello?");

  sock.send(ws_frame(op_text, "{\"msg\":\"in thr", false));
  sock.send(ws_frame(op_ping, "between"));
  sock.send(ws_frame(op_continuation, "ee pieces \xC3", false));
  sock.send(ws_frame(op_continuation, "\xAB\"}"));
  std::vector<parsed_frame> before;
  pong = read_until(sock, bytes, op_pong, &before);
  REQUIRE(pong);
  CHECK(pong->payload == "between");
  // The broadcast echo of the joined message.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!has_message(before, "message", "in three pieces \xC3\xAB") &&
         std::chrono::steady_clock::now() < deadline) {
    bytes += sock.recv_some(100ms);
    while (auto f = take_frame(bytes))
      before.push_back(*f);
  }
  CHECK(has_message(before, "message", "in three pieces \xC3\xAB"));
}

TEST_CASE("a client's close is answered with the same code, then the server "
          "ends TCP, frees the name and counts client_close",
          "[e2e][ws]") {
  raw_beside_observer w{"alice"};
  std::string close_payload{"\x0b\xb9going", 7}; // 3001
  w.sock.send(ws_frame(op_close, close_payload));
  std::string bytes;
  REQUIRE(w.sock.wait_eof(3s, &bytes));
  auto reply = read_until(w.sock, bytes, op_close);
  REQUIRE(reply);
  CHECK(close_code(*reply) == 3001);
  CHECK(w.observer.expect("presence")["event"] == "leave");
  CHECK(w.t.srv.wait_metric("chat_disconnects_total{reason=\"client_close\"}",
                            1));
}

TEST_CASE("a frame RFC 6455 forbids closes the session with 1002 and counts "
          "protocol_error",
          "[e2e][ws]") {
  test_server srv;
  // An unmasked frame, a reserved opcode, a split ping.
  for (std::string bad :
       {std::string("\x81\x01x", 3), ws_frame(0x3, "reserved"),
        ws_frame(op_ping, "split", false)}) {
    raw_socket sock{srv.port()};
    sock.upgrade("/ws/alice");
    sock.send(bad);
    std::string bytes;
    REQUIRE(sock.wait_eof(3s, &bytes));
    auto close = read_until(sock, bytes, op_close);
    REQUIRE(close);
    CHECK(close_code(*close) == 1002);
    CHECK(srv.wait_metric("chat_sessions", 0));
  }
  CHECK(srv.metric("chat_disconnects_total{reason=\"protocol_error\"}") == 3);
}

TEST_CASE("a refused login's close is not answered: the server cuts the "
          "connection after the handshake timeout",
          "[e2e][ws]") {
  test_server srv{[](auto& o) {
    o.lim.handshake_timeout = std::chrono::milliseconds(500);
  }};
  raw_socket sock{srv.port()};
  sock.upgrade("/ws/no%20spaces");
  auto start = std::chrono::steady_clock::now();
  std::string bytes;
  REQUIRE(sock.wait_eof(5s, &bytes));
  auto waited = std::chrono::steady_clock::now() - start;
  auto close = read_until(sock, bytes, op_close);
  REQUIRE(close);
  CHECK(close_code(*close) == 1008);
  CHECK(close->payload.substr(2) == "bad_username");
  CHECK(waited >= 400ms);
  CHECK(srv.wait_metric("chat_disconnects_total{reason=\"refused\"}", 1));
}

TEST_CASE("more bytes than one read takes: a 150 KB frame, then 300 KB of "
          "frames in one write, are all read and answered in order",
          "[e2e][ws]") {
  test_server srv{[](auto& o) {
    o.lim.max_frame_bytes = 200000;
    o.lim.max_msg_code_points = 200000;
    o.lim.rate_per_second = 1000;
    o.lim.rate_burst = 1000;
  }};
  raw_socket sock{srv.port()};
  sock.upgrade("/ws/alice");
  auto frame_with = [](const std::string& msg) {
    return ws_frame(op_text, nlohmann::json{{"msg", msg}}.dump());
  };
  std::vector<std::string> msgs{std::string(150000, 'a')};
  std::string bytes = frame_with(msgs[0]);
  REQUIRE(sock.send(bytes)); // and nothing after it
  for (int i = 0; i < 5; ++i)
    msgs.push_back(std::to_string(i) + std::string(60000, 'b'));
  std::string burst;
  for (std::size_t i = 1; i < msgs.size(); ++i)
    burst += frame_with(msgs[i]);
  REQUIRE(sock.send(burst));

  std::vector<parsed_frame> frames;
  std::string in;
  std::size_t seen = 0;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (seen < msgs.size() && std::chrono::steady_clock::now() < deadline) {
    in += sock.recv_some(100ms);
    while (auto f = take_frame(in)) {
      auto j = nlohmann::json::parse(f->payload, nullptr, false);
      if (j.is_object() && j.value("type", "") == "message") {
        REQUIRE(seen < msgs.size());
        CHECK(j.value("msg", "") == msgs[seen]);
        ++seen;
      }
    }
  }
  CHECK(seen == msgs.size());
}
