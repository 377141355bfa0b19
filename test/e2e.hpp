// What the end-to-end tests share: a logged-in client in one call, the
// options of a test that floods, and a server that owns its clients.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/options.hpp"
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

} // namespace test
