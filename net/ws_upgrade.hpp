// The server's half of the WebSocket opening handshake (RFC 6455 section
// 4.2): the checks on the client's key and the 101 response. No I/O.
#pragma once

#include <string>
#include <string_view>

namespace chat::net {

/// The form RFC 6455 asks of `Sec-WebSocket-Key`: 16 bytes in base64.
bool is_valid_ws_key(std::string_view key);

/// The whole `101 Switching Protocols` response to an upgrade with `key`.
std::string switching_protocols(std::string_view key);

} // namespace chat::net
