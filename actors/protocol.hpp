// Every atom, message type and typed actor interface of actorchat.
//
// Three kinds of actors talk through the interfaces below:
//   session  - one per WebSocket connection; speaks JSON with its client
//   registry - the one directory of logged-in names and of rooms
//   room     - one per chat room; its members and one total order of messages
// and one non-actor edge: `outbound`, the connection a session writes to
// (and, through a `connection_ref`, its rooms and peers too). With `--trace`
// a fourth actor, the tracer, writes down every message the others handle.
// `net/` implements `outbound`; nothing here knows about sockets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

namespace chat {

// -- atoms (CAF 0.17: at most 10 characters of [0-9A-Za-z_ ]) ----------------

using login_atom = caf::atom_constant<caf::atom("login")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using ws_text_atom = caf::atom_constant<caf::atom("ws_text")>;
using ws_binary_atom = caf::atom_constant<caf::atom("ws_binary")>;
using ws_down_atom = caf::atom_constant<caf::atom("ws_down")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using room_empty_atom = caf::atom_constant<caf::atom("room_empty")>;
using close_room_atom = caf::atom_constant<caf::atom("close_room")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using trace_atom = caf::atom_constant<caf::atom("trace")>;
using ws_close_atom = caf::atom_constant<caf::atom("ws_close")>;

// -- message types
// -------------------------------------------------------------

/// A server frame, JSON-encoded once and shared read-only by every recipient:
/// a broadcast to N members costs one encoding and N reference counts.
struct frame {
  std::shared_ptr<const std::string> text;

  static frame make(std::string s) {
    return frame{std::make_shared<const std::string>(std::move(s))};
  }
  const std::string& str() const { return *text; }
};

/// Serialises the text itself, so a frame can cross CAF's middleman.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, frame& x) {
  std::string tmp = x.text ? *x.text : std::string{};
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.text = std::make_shared<const std::string>(std::move(tmp));
    return caf::none;
  });
  return f(caf::meta::type_name("frame"), tmp, load);
}

/// One line of the message trace (`--trace`): `to` handled a message `msg`
/// from `from` at `ts_ns` (steady clock). `id` links the lines of one chat
/// message across hops; 0 means the message belongs to no chat message.
struct trace_record {
  int64_t ts_ns = 0;
  std::string from;
  std::string to;
  std::string msg;
  uint64_t id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trace_record& x) {
  return f(caf::meta::type_name("trace_record"), x.ts_ns, x.from, x.to, x.msg,
           x.id);
}

/// Errors that actors reply with; the session turns them into `error` frames.
enum class chat_errc : uint8_t {
  name_taken = 1,
  unknown_user,
};

inline caf::error make_error(chat_errc x) {
  return caf::error{static_cast<uint8_t>(x), caf::atom("chat")};
}

inline bool is(const caf::error& err, chat_errc code) {
  return err.category() == caf::atom("chat") &&
         err.code() == static_cast<uint8_t>(code);
}

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

// -- the connection edge (implemented by net/) --------------------------------

/// The connection a session writes to. Implementations must be callable from
/// any thread and must never block: they hand the work to the connection's
/// own strand. Frames and the close are sent in call order.
class outbound {
public:
  virtual ~outbound() = default;
  /// Queues one text frame. False if the connection takes no more frames:
  /// it is closing or gone, or its client does not read (slow consumer).
  virtual bool send(frame f) = 0;
  /// Sends a close frame with `code` and `reason` after everything queued,
  /// then ends; `why` is what chat_disconnects_total counts.
  virtual void close(uint16_t code, std::string reason,
                     disconnect_reason why) = 0;
  /// The session took a client frame (text of `payload_bytes`, 0 for a
  /// binary frame) out of its mailbox: the connection reads on while few
  /// enough bytes wait there.
  virtual void consumed(std::size_t payload_bytes) = 0;
};

/// A session's connection, as rooms and peers hold it: they write chat
/// frames straight to it, one hop, without a detour through the session's
/// mailbox. Never keeps the connection alive. Local to one process: remote
/// members are reached through their node's room mirror.
struct connection_ref {
  std::weak_ptr<outbound> out;

  /// Sends `f` if the connection still takes frames; false otherwise.
  bool send(const frame& f) const {
    if (auto conn = out.lock())
      return conn->send(f);
    return false;
  }
  bool same(const connection_ref& other) const {
    return !out.owner_before(other.out) && !other.out.owner_before(out);
  }
};

/// Why a session joins a room, which decides the frame the room sends it
/// first (before any broadcast can reach it). CAF serialises enums itself.
enum class entry : uint8_t {
  login,    // `welcome`
  join,     // its own `presence` `join` (the acknowledgement of `join`)
  reattach, // `presence` `reset` (the room failed and was restarted)
};

} // namespace chat

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(chat::connection_ref)

namespace chat {

// -- typed actor interfaces
// ------------------------------------------------------

/// session: one per WebSocket connection; speaks JSON with its client.
///  (ws_text, text, arrival_ns)  client text frame; arrival_ns is steady-clock
///                               nanoseconds when the frame was read
///  (ws_binary, arrival_ns)      client binary frame (refused: `unsupported`)
///  (ws_close, code, reason, why)  the client's stream ended: it sent a
///        close frame, or a frame RFC 6455 forbids. Queued behind the
///        frames before it, so their replies leave first; then the session
///        closes with `code` and ends
///  (ws_down, reason)            the connection is gone; the session ends
///  (shutdown)                   the server stops: close with 1001
using session_actor = caf::typed_actor<
    caf::reacts_to<ws_text_atom, std::string, int64_t>,
    caf::reacts_to<ws_binary_atom, int64_t>,
    caf::reacts_to<ws_close_atom, uint16_t, std::string, disconnect_reason>,
    caf::reacts_to<ws_down_atom, std::string>, caf::reacts_to<shutdown_atom>>;

/// What a room needs of its owner (the registry).
///  (room_empty, room)           the last member left; the owner may close it
///  (ready, user, session)       the session's welcome is queued on its
///        connection: from now on lookups may find it, and a private message
///        can no longer overtake the welcome
using room_owner =
    caf::typed_actor<caf::reacts_to<room_empty_atom, std::string>,
                     caf::reacts_to<ready_atom, std::string, session_actor>>;

/// room: members and one total order of messages.
///  (join, session, user, conn, entry) -> (members)  adds a member
///        (monitored): `join` presence to the others, then the joiner's
///        first frame (see `entry`) straight to its connection
///  (leave, session) -> (ok)     removes a member; `leave` presence to the
///        rest; the reply queues behind every delivery made to that member
///  (publish, from_user, msg) -> (id)  assigns id and ts, encodes the frame
///        once and queues it on every member's connection, the sender's
///        included; the reply comes after, so a session that waits for it
///        keeps its own messages in order across rooms and peers
///  (members) -> (sorted names)
///  (close_room) -> (closed)     ends the room if it is still empty
using room_actor = caf::typed_actor<
    caf::replies_to<join_atom, session_actor, std::string, connection_ref,
                    entry>::with<std::vector<std::string>>,
    caf::replies_to<leave_atom, session_actor>::with<caf::ok_atom>,
    caf::replies_to<publish_atom, std::string, std::string>::with<uint64_t>,
    caf::replies_to<members_atom>::with<std::vector<std::string>>,
    caf::replies_to<close_room_atom>::with<bool>>;

/// registry: logged-in names and the room directory.
///  (login, user, session, conn) -> (ok) | chat_errc::name_taken
///        the name stays taken until the session terminates (monitored)
///  (ready, user, session)       from the room that queued its welcome
///  (lookup, user) -> (session, conn) | chat_errc::unknown_user, also for a
///        name that is taken but not yet welcomed
///  (join, room) -> (room)       finds or spawns the room
///  (join, room, dead) -> (room)  the same, from a session that found the
///        room `dead` gone (it failed, or closed when empty): if the
///        directory still lists it, it is replaced at once, so the session
///        never waits for the registry's own down message
///  (members, room) -> (sorted names)   empty for a room that does not exist
///  (room_empty, room)           asks the room to close unless it is `lobby`
///  (shutdown)                   every session closes with 1001
using registry_actor = caf::typed_actor<
    caf::replies_to<login_atom, std::string, session_actor,
                    connection_ref>::with<caf::ok_atom>,
    caf::reacts_to<ready_atom, std::string, session_actor>,
    caf::replies_to<lookup_atom, std::string>::with<session_actor,
                                                    connection_ref>,
    caf::replies_to<join_atom, std::string>::with<room_actor>,
    caf::replies_to<join_atom, std::string, caf::actor_addr>::with<room_actor>,
    caf::replies_to<members_atom, std::string>::with<std::vector<std::string>>,
    caf::reacts_to<room_empty_atom, std::string>,
    caf::reacts_to<shutdown_atom>>;

/// tracer: owns the trace file; one JSON line per record, in arrival order.
///  (trace, record)              appends one line
///  (trace, records)             appends one line each: one message for a
///        broadcast's deliveries, however many members the room has
///  (shutdown) -> (ok)           flushes the file and ends; the reply comes
///        once every line queued before it is in the file
using tracer_actor =
    caf::typed_actor<caf::reacts_to<trace_atom, trace_record>,
                     caf::reacts_to<trace_atom, std::vector<trace_record>>,
                     caf::replies_to<shutdown_atom>::with<caf::ok_atom>>;

/// The room everybody starts in; it never ends.
inline const std::string lobby_room = "lobby";

} // namespace chat
