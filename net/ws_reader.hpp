// The server's reading half of RFC 6455: turns the bytes a client sends into
// whole messages and control frames, and says which close code a broken
// stream earns. No I/O and no Beast: ws_connection.cpp feeds it what the
// socket delivered, and unit tests feed it hand-made bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat::net {

/// One complete thing the client sent, or why its stream is broken.
struct ws_event {
  enum kind_t : uint8_t { text, binary, ping, pong, close, fail };
  kind_t kind;
  /// The message, the ping or pong payload, or the close reason.
  std::string payload;
  /// close: the client's code (0 if it sent none);
  /// fail: the code to close with (1002 protocol, 1007 UTF-8, 1009 size).
  uint16_t code = 0;
};

class ws_reader {
public:
  /// Messages (all fragments together) longer than `max_message_bytes`
  /// fail with 1009.
  explicit ws_reader(std::size_t max_message_bytes)
      : max_message_(max_message_bytes) {}

  /// Consumes bytes from the front of `in` until one event is complete and
  /// returns it; nothing once `in` is used up first. After a close or fail
  /// event the stream is over: nothing more is consumed.
  std::optional<ws_event> next(std::string_view& in);

  /// No partial frame or message is held (nothing is buffered).
  bool between_messages() const noexcept {
    return header_bytes_ == 0 && !in_payload_ && message_opcode_ == 0;
  }

  /// Heap bytes this reader holds for the message and control frame being
  /// read: what a client costs between its frames.
  std::size_t buffered_bytes() const noexcept {
    return message_.capacity() + control_.capacity();
  }

private:
  std::optional<ws_event> on_header();
  std::optional<ws_event> on_frame_end();
  std::optional<ws_event> fail(uint16_t code);

  std::size_t max_message_;
  // The frame header being read (2 to 14 bytes).
  uint8_t header_[14];
  uint8_t header_bytes_ = 0;
  // The frame whose payload is being read.
  bool in_payload_ = false;
  bool fin_ = false;
  uint8_t opcode_ = 0;
  uint8_t mask_[4] = {};
  uint64_t payload_left_ = 0;
  uint64_t payload_at_ = 0; // bytes of this frame's payload read so far
  // The data message being assembled: its opcode (0: none) and bytes.
  uint8_t message_opcode_ = 0;
  std::string message_;
  std::string control_; // a control frame's payload (at most 125 bytes)
  bool over_ = false;
};

/// RFC 6455 close codes a peer may send (section 7.4).
bool is_valid_close_code(uint16_t code);

} // namespace chat::net
