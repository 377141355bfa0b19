// A blocking WebSocket client over a real socket, plus plain HTTP GET: used
// by the tests and by actorchat-bench. Beast lives only in ws_client.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace client {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct close_info {
  uint16_t code = 0;
  std::string reason;
};

class ws_client {
public:
  /// Connects to host:port and upgrades at `target` (e.g. "/ws/alice").
  /// Throws std::runtime_error if the connection or the upgrade fails.
  ws_client(const std::string& host, uint16_t port, const std::string& target);
  /// The same on 127.0.0.1.
  ws_client(uint16_t port, const std::string& target)
      : ws_client("127.0.0.1", port, target) {}
  ~ws_client();

  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// These throw std::runtime_error if the frame cannot be sent.
  void send_text(const std::string& text) { send_frame(text, true); }
  void send_json(const json& j) { send_text(j.dump()); }
  void send_binary(const std::string& data) { send_frame(data, false); }

  /// The next text frame, parsed; nothing on timeout or close.
  std::optional<json> recv(std::chrono::milliseconds timeout = 3s);
  /// The next frame whose "type" is `type`, skipping others; throws on
  /// timeout (so a test fails with a clear message).
  json expect(const std::string& type, std::chrono::milliseconds timeout = 3s);
  /// Waits for the server's close; nothing on timeout.
  std::optional<close_info> wait_close(std::chrono::milliseconds timeout = 3s);
  /// Frames received and not yet taken.
  std::size_t pending() const;

  /// Normal close handshake (code 1000).
  void close();
  /// TCP reset: SO_LINGER 0, then close the socket.
  void reset();

private:
  void send_frame(const std::string& payload, bool text);

  struct impl;
  std::unique_ptr<impl> impl_;
};

struct http_reply {
  int status = 0;
  std::string content_type;
  std::string content_security_policy;
  std::string body;
};

/// One HTTP/1.1 request to host:port; `target` is sent as is.
http_reply http_get(const std::string& host, uint16_t port,
                    const std::string& target,
                    const std::string& method = "GET");
/// The same on 127.0.0.1.
inline http_reply http_get(uint16_t port, const std::string& target,
                           const std::string& method = "GET") {
  return http_get("127.0.0.1", port, target, method);
}

} // namespace client
