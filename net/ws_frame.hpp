// The header of a server-to-client WebSocket text frame (RFC 6455 section
// 5.2), for the batching socket. No I/O, no Beast.
#pragma once

#include <cstddef>
#include <cstdint>

namespace chat::net::ws_frame {

/// Writes the header of one unfragmented, unmasked (server to client) text
/// frame of `payload_bytes` into `out`; returns its length (2, 4 or 10).
inline std::size_t encode_text_header(std::size_t payload_bytes,
                                      char (&out)[10]) {
  out[0] = static_cast<char>(0x81); // FIN, opcode 1 (text)
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

} // namespace chat::net::ws_frame
