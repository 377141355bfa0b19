// The real server, in-process on an ephemeral port, for wire tests.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/chat_server.hpp"
#include "net/options.hpp"

namespace test {

using namespace std::chrono_literals;

class test_server {
public:
  /// Starts with the defaults of PROTOCOL.md, changed by `tweak`.
  explicit test_server(
      const std::function<void(chat::net::server_options&)>& tweak = {});

  uint16_t port() const { return server_->port(); }
  chat::net::chat_server& server() { return *server_; }

  /// The value of one sample line of /metrics (e.g. `chat_sessions` or
  /// `chat_errors_total{code="bad_json"}`), fetched over HTTP.
  double metric(const std::string& sample) const;

  /// Polls `metric(sample)` until it equals `value`; false on timeout.
  bool wait_metric(const std::string& sample, double value,
                   std::chrono::milliseconds timeout = 5s) const;

private:
  std::unique_ptr<chat::net::chat_server> server_;
};

/// Polls `pred` every few milliseconds until it holds; false on timeout.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = 5s);

} // namespace test
