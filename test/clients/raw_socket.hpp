// A plain POSIX TCP client for fault injection: partial frames, resets,
// half-open and never-reading peers, hand-made WebSocket frames.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/ws_frame.hpp"

namespace client {

using namespace std::chrono_literals;

class raw_socket {
public:
  /// Connects to host:port (a numeric IPv4 address); a non-zero `rcvbuf`
  /// shrinks SO_RCVBUF first.
  raw_socket(const std::string& host, uint16_t port, int rcvbuf = 0);
  /// The same on 127.0.0.1.
  explicit raw_socket(uint16_t port, int rcvbuf = 0)
      : raw_socket("127.0.0.1", port, rcvbuf) {}
  ~raw_socket();

  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  /// Writes all of `bytes`; false if the peer is gone or the kernel took
  /// none of them for `timeout` (a peer that stopped reading must fail a
  /// test, not hang it).
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = 30s);
  /// Reads what arrives within `timeout` until `marker` was seen.
  std::string recv_until(std::string_view marker,
                         std::chrono::milliseconds timeout = 3s);
  /// One read of at most 4 KiB, waiting up to `timeout` for it (a slow
  /// reader's pace).
  std::string recv_some(std::chrono::milliseconds timeout);
  /// Reads until the peer closes (EOF or reset); false on timeout.
  bool wait_eof(std::chrono::milliseconds timeout, std::string* data = nullptr);
  /// FIN: no more bytes from us.
  void shutdown_write();
  /// RST: SO_LINGER 0 and close.
  void reset();

  /// Sends the HTTP upgrade for `target` and reads the 101 response;
  /// returns the response head.
  std::string upgrade(const std::string& target);

private:
  int fd_ = -1;
  std::string pending_; // read past the upgrade's response head
};

/// A client-to-server WebSocket frame (masked, as RFC 6455 requires).
std::string ws_frame(uint8_t opcode, std::string_view payload, bool fin = true);

// RFC 6455's opcodes, as the server spells them.
using chat::net::ws_frame::op_binary;
using chat::net::ws_frame::op_close;
using chat::net::ws_frame::op_continuation;
using chat::net::ws_frame::op_ping;
using chat::net::ws_frame::op_pong;
using chat::net::ws_frame::op_text;

/// A server-to-client frame parsed from raw bytes.
struct parsed_frame {
  uint8_t opcode;
  std::string payload;
};

/// Takes the first complete frame off the front of `bytes`, if any.
std::optional<parsed_frame> take_frame(std::string& bytes);

/// The close code of a close frame's payload (0 if it has none).
uint16_t close_code(const parsed_frame& f);

} // namespace client
