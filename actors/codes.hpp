// The codes of the wire and of the actors' replies: `error` frame codes,
// WebSocket close codes, why a connection ended, and the errors actors
// reply with. One place for each, shared by the codec, the actors and net/.
#pragma once

#include <cstdint>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace chat {

/// Every `error` frame code of PROTOCOL.md.
enum class error_code : uint8_t {
  bad_json,
  bad_request,
  unknown_user,
  too_long,
  rate_limited,
  unsupported,
  bad_username,
  name_taken,
  unavailable, // the room failed or moved before the message was delivered
  count_
};
const char* to_string(error_code c);

/// WebSocket close codes the server sends (RFC 6455 section 7.4.1).
namespace close_code {
constexpr uint16_t going_away = 1001;
constexpr uint16_t protocol_error = 1002;
constexpr uint16_t bad_payload = 1007; // invalid UTF-8
constexpr uint16_t policy = 1008;      // login refused, slow consumer
constexpr uint16_t too_big = 1009;
constexpr uint16_t internal_error = 1011;
} // namespace close_code

/// Why a WebSocket connection ended (the `reason` label of
/// chat_disconnects_total).
enum class disconnect_reason : uint8_t {
  client_close,   // the client sent a close frame
  reset,          // EOF or TCP reset without a close frame
  timeout,        // heartbeat: no traffic within the timeout
  too_big,        // frame over the size limit (1009)
  bad_utf8,       // invalid UTF-8 in a text frame (1007)
  protocol_error, // a frame RFC 6455 forbids (1002)
  slow_consumer,  // unsent backlog over the limit (1008)
  refused,        // login refused (bad_username, name_taken)
  shutdown,       // server stopping (1001)
  server_error,   // the session actor failed (1011)
  count_
};
const char* to_string(disconnect_reason r);

/// Errors that actors reply with; the session turns them into `error`
/// frames.
enum class chat_errc : uint8_t {
  name_taken = 1,
  unknown_user,
  not_owner, // a node asked to host a room that its view places elsewhere
};

inline caf::error make_error(chat_errc x) {
  return caf::error{static_cast<uint8_t>(x), caf::atom("chat")};
}

inline bool is(const caf::error& err, chat_errc code) {
  return err.category() == caf::atom("chat") &&
         err.code() == static_cast<uint8_t>(code);
}

} // namespace chat
