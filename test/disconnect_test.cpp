// PROTOCOL.md "Ordering and delivery guarantees": abrupt disconnects free the
// name, send one leave presence and never crash or stall the server.
#include <catch2/catch.hpp>

#include "e2e.hpp"
#include "raw_socket.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;

namespace {

/// Checks that `name` left (one presence, counted under `reason`), is free
/// again and that the server still answers.
void check_cleaned_up(test_server& srv, ws_client& observer,
                      const std::string& name, const std::string& reason) {
  auto left = observer.expect("presence", 5s);
  CHECK(left["event"] == "leave");
  CHECK(left["user"] == name);
  CHECK(srv.wait_metric("chat_sessions", 1));
  CHECK(srv.metric("chat_disconnects_total{reason=\"" + reason + "\"}") == 1);
  ws_client again{srv.port(), "/ws/" + name};
  CHECK(again.expect("welcome")["user"] == name);
  CHECK(http_get(srv.port(), "/healthz").status == 200);
}

} // namespace

TEST_CASE("a TCP reset frees the name and sends leave", "[e2e][disconnect]") {
  e2e t;
  auto& observer = t.login("observer");
  {
    ws_client victim{t.srv.port(), "/ws/victim"};
    victim.expect("welcome");
    observer.expect("presence");
    victim.reset();
  }
  check_cleaned_up(t.srv, observer, "victim", "reset");
}

TEST_CASE("a FIN in the middle of a frame frees the name and sends leave",
          "[e2e][disconnect]") {
  raw_beside_observer w{"cut"};
  auto frame = ws_frame(op_text, R"({"msg":"never finished"})");
  w.sock.send(frame.substr(0, frame.size() / 2));
  w.sock.shutdown_write();
  check_cleaned_up(w.t.srv, w.observer, "cut", "reset");
  // The half frame was never taken for a message.
  while (auto f = w.observer.recv(200ms))
    CHECK((*f)["type"] != "message");
}

TEST_CASE("a reset in the middle of a frame frees the name",
          "[e2e][disconnect]") {
  raw_beside_observer w{"cut"};
  w.sock.send(ws_frame(op_text, std::string(1000, 'x')).substr(0, 500));
  w.sock.reset();
  check_cleaned_up(w.t.srv, w.observer, "cut", "reset");
}

TEST_CASE("cuts during the handshake or an HTTP request leave the server "
          "serving",
          "[e2e][disconnect]") {
  test_server srv;
  {
    raw_socket sock{srv.port()};
    sock.send("GET /ws/alice HTTP/1.1\r\nHost: x\r\nUpgrade: webs");
    sock.reset();
  }
  {
    raw_socket sock{srv.port()};
    sock.send("GET /index.html HTTP/1.1\r\nHo");
    sock.shutdown_write();
    sock.wait_eof(2s);
  }
  {
    raw_socket sock{srv.port()};
    sock.send("\x16\x03\x01 not http at all\r\n\r\n");
    sock.wait_eof(2s);
  }
  CHECK(http_get(srv.port(), "/healthz").status == 200);
  ws_client alice{srv.port(), "/ws/alice"};
  CHECK(alice.expect("welcome")["user"] == "alice");
  CHECK(srv.metric("chat_sessions") == 1);
}

TEST_CASE("a reset while the server writes a large backlog frees the name",
          "[e2e][disconnect]") {
  e2e t{unlimited_rate};
  auto& observer = t.login("observer");
  raw_socket lazy{t.srv.port(), 4096};
  lazy.upgrade("/ws/lazy");
  observer.expect("presence");
  std::string payload(4000, 'x');
  for (int i = 0; i < 100; ++i)
    observer.send_json({{"msg", payload}});
  lazy.reset();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  bool left = false;
  while (!left && std::chrono::steady_clock::now() < deadline) {
    auto f = observer.recv(1s);
    if (f && (*f)["type"] == "presence" && (*f)["user"] == "lazy")
      left = true;
  }
  CHECK(left);
  CHECK(t.srv.wait_metric("chat_sessions", 1));
}

TEST_CASE_METHOD(alice_and_bob,
                 "a graceful stop closes every session with 1001 and turns "
                 "/healthz to 503",
                 "[e2e][disconnect][shutdown]") {
  raw_socket keep_alive{srv.port()};
  CHECK(healthz_ok(keep_alive));
  auto start = std::chrono::steady_clock::now();
  srv.server().drain();
  // An open keep-alive connection now hears 503; new ones are not accepted.
  keep_alive.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(keep_alive.recv_until("\r\n\r\n").find("503") != std::string::npos);
  // The acceptor closes on its own thread, soon after drain(): from then
  // on a connect is refused by the kernel.
  auto refused = [&] {
    try {
      raw_socket late{srv.port()};
      return false;
    } catch (const std::runtime_error& e) {
      return std::string{e.what()}.find("refused") != std::string::npos;
    }
  };
  CHECK(eventually(refused, 1s));
  CHECK_THROWS(ws_client{srv.port(), "/ws/carol"});
  srv.server().stop();
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  for (auto* c : {&alice, &bob})
    check_closed(*c, 1001);
}
