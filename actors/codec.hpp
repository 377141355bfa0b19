// The JSON wire format: client frames in, server frames out (PROTOCOL.md).
// Decoding never throws: any input yields a request or a decode_error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/protocol.hpp"

namespace chat::codec {

// -- client frames
// --------------------------------------------------------------

/// Broadcast to a room; no room means the sender's current room.
struct say_request {
  std::string msg;
  std::optional<std::string> room;
};

/// Private message.
struct whisper_request {
  std::string to;
  std::string msg;
};

struct join_request {
  std::string room;
};

/// Member list; no room means the sender's current room.
struct users_request {
  std::optional<std::string> room;
};

/// Echoed back in a `pong`; null when the client sent no id.
struct ping_request {
  nlohmann::json id;
};

/// Why a frame was refused, as the `error` frame tells it.
struct decode_error {
  error_code code;
  std::string detail;
};

using request = std::variant<say_request, whisper_request, join_request,
                             users_request, ping_request>;
using decoded = std::variant<request, decode_error>;

/// Deepest nesting of arrays and objects a client frame may have.
constexpr std::size_t max_nesting = 32;

/// Decodes one client text frame. `max_msg_code_points` bounds `msg`.
decoded decode(std::string_view text, std::size_t max_msg_code_points);

// -- server frames
// --------------------------------------------------------------

struct chat_message {
  uint64_t id;
  int64_t ts_ms;
  std::string_view from_user;
  std::string_view to_user; // empty for a room broadcast
  std::string_view room;    // empty for a private message
  std::string_view msg;
};

std::string encode(const chat_message& m);
std::string encode_welcome(std::string_view user, std::string_view room,
                           const std::vector<std::string>& users);
std::string encode_presence(std::string_view event, std::string_view user,
                            std::string_view room);
/// Sent when the member's room failed and was restarted: the member list
/// starts over, and messages in flight at the failure may be lost.
std::string encode_reset(std::string_view room,
                         const std::vector<std::string>& users);
std::string encode_users(std::string_view room,
                         const std::vector<std::string>& users);
std::string encode_pong(const nlohmann::json& id);
std::string encode_error(error_code code, std::string_view detail);

/// Milliseconds since the Unix epoch, for the `ts` field.
int64_t now_ms();

} // namespace chat::codec
