// WebSocket frames (RFC 6455): opcodes, and server-to-client headers and
// close payloads for the batching socket. No I/O, no Beast. The close codes
// live with the rest of the wire codes in actors/protocol.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat::net::ws_frame {

// Opcodes (section 5.2).
constexpr uint8_t op_continuation = 0x0;
constexpr uint8_t op_text = 0x1;
constexpr uint8_t op_binary = 0x2;
constexpr uint8_t op_close = 0x8;
constexpr uint8_t op_ping = 0x9;
constexpr uint8_t op_pong = 0xA;

/// Writes the header of one unfragmented, unmasked (server to client) frame
/// of `payload_bytes` into `out`; returns its length (2, 4 or 10).
inline std::size_t encode_header(uint8_t opcode, std::size_t payload_bytes,
                                 char (&out)[10]) {
  out[0] = static_cast<char>(0x80 | opcode); // FIN
  if (payload_bytes < 126) {
    out[1] = static_cast<char>(payload_bytes);
    return 2;
  }
  int bytes = payload_bytes <= 0xffff ? 2 : 8;
  out[1] = static_cast<char>(bytes == 2 ? 126 : 127);
  for (int i = 0; i < bytes; ++i)
    out[2 + i] = static_cast<char>(
        (static_cast<uint64_t>(payload_bytes) >> (8 * (bytes - 1 - i))) & 0xff);
  return 2 + static_cast<std::size_t>(bytes);
}

/// The header of a text frame.
inline std::size_t encode_text_header(std::size_t payload_bytes,
                                      char (&out)[10]) {
  return encode_header(op_text, payload_bytes, out);
}

/// The payload of a close frame: the code, then the reason cut to fit the
/// 125 bytes a control frame may carry (at a UTF-8 boundary). Code 0 gives
/// an empty payload.
inline std::string close_payload(uint16_t code, std::string_view reason) {
  if (code == 0)
    return {};
  constexpr std::size_t max_reason = 123;
  if (reason.size() > max_reason) {
    auto cut = max_reason;
    while (cut > 0 && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80)
      --cut; // do not split a code point
    reason = reason.substr(0, cut);
  }
  std::string p;
  p.reserve(2 + reason.size());
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  p.append(reason);
  return p;
}

} // namespace chat::net::ws_frame
