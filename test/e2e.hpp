// What the end-to-end tests share: a logged-in client in one call, the
// options of a test that floods, a server that owns its clients, and the
// checks of a close and a leave that many tests end with.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "net/options.hpp"
#include "raw_socket.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

namespace test {

/// A client of `name` connected to `port` whose welcome was already read
/// (fails the test if none arrives within `timeout`).
inline std::unique_ptr<client::ws_client>
login(uint16_t port, const std::string& name,
      std::chrono::milliseconds timeout = 3s) {
  auto c = std::make_unique<client::ws_client>(port, "/ws/" + name);
  c->expect("welcome", timeout);
  return c;
}

/// The same on an in-process test server.
inline std::unique_ptr<client::ws_client> login(test_server& srv,
                                                const std::string& name) {
  return login(srv.port(), name);
}

/// No rate limit: for tests that send faster than a person types.
inline void unlimited_rate(chat::net::server_options& o) {
  o.lim.rate_per_second = 1e6;
  o.lim.rate_burst = 1e6;
}

/// A server and the clients of one test, which it owns: they close before
/// the server stops.
struct e2e {
  test_server srv;

  explicit e2e(
      const std::function<void(chat::net::server_options&)>& tweak = {})
      : srv(tweak) {}

  /// A logged-in client of `name`, past its welcome.
  client::ws_client& login(const std::string& name) {
    return *clients_.emplace_back(test::login(srv, name));
  }

private:
  std::vector<std::unique_ptr<client::ws_client>> clients_;
};

/// Alice logged in, alone on the server.
struct alice_logged_in : e2e {
  client::ws_client& alice = login("alice");
};

/// Alice and bob logged in, in that order.
struct alice_and_bob : alice_logged_in {
  client::ws_client& bob = login("bob");
};

/// A hand-made WebSocket client of `name` beside a logged-in observer that
/// has seen it join: for tests that break the wire on purpose.
struct raw_beside_observer {
  e2e t;
  client::ws_client& observer = t.login("observer");
  client::raw_socket sock{t.srv.port()};

  explicit raw_beside_observer(const std::string& name) {
    sock.upgrade("/ws/" + name);
    observer.expect("presence");
  }
};

/// The server closes `c` with `code` (fails the test if it does not close).
inline void check_closed(client::ws_client& c, uint16_t code) {
  auto closed = c.wait_close();
  REQUIRE(closed);
  CHECK(closed->code == code);
}

/// The next presence `observer` hears is `user` leaving.
inline void check_left(client::ws_client& observer, const std::string& user) {
  auto left = observer.expect("presence");
  CHECK(left["event"] == "leave");
  CHECK(left["user"] == user);
}

/// Whether a GET /healthz on the keep-alive connection `sock` is answered
/// with 200 OK.
inline bool healthz_ok(client::raw_socket& sock) {
  sock.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  return sock.recv_until("ok\n").find("200 OK") != std::string::npos;
}

} // namespace test
