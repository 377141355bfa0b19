// The state of a session actor and the helpers its handlers share. The
// session's handlers live in three files: session.cpp (login, client frames,
// the behaviour), session_rooms.cpp (joining, switching rooms, publishing)
// and session_private.cpp (private messages and member lists).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "actors/codec.hpp"
#include "actors/context.hpp"
#include "actors/instrument.hpp"
#include "actors/protocol.hpp"
#include "actors/token_bucket.hpp"

namespace chat::session_detail {

/// How often a session asks again for a room that closed under it.
inline constexpr int join_attempts = 5;

struct session_state {
  static inline const char* name = "session";
  registry_actor registry;
  std::weak_ptr<outbound> out;
  std::string user;
  context* ctx = nullptr;
  room_actor room;
  std::string room_name;
  token_bucket bucket{0, 0};

  void send(std::string text) {
    if (auto conn = out.lock())
      conn->send(frame::make(std::move(text)));
  }

  void send_error(error_code code, std::string_view detail) {
    ctx->stats.add(code);
    send(codec::encode_error(code, detail));
  }

  void close(uint16_t code, std::string reason, disconnect_reason why) {
    if (auto conn = out.lock())
      conn->close(code, std::move(reason), why);
  }

  /// The session took a client frame of `bytes` out of its mailbox.
  void consumed(std::size_t bytes) {
    if (auto conn = out.lock())
      conn->consumed(bytes);
  }

  /// Trace line: this session handled `msg` from `from`. Only if tracing.
  void traced(std::string from, std::string msg, uint64_t id = 0,
              int64_t ts_ns = steady_now_ns()) const {
    ctx->trace(std::move(from), "session:" + user, std::move(msg), id, ts_ns);
  }
};

using session_ptr = session_actor::stateful_pointer<session_state>;

/// Counts one handled message for /metrics.
inline void count(session_ptr self) {
  chat::count(self, *self->state.ctx, actor_kind::session);
}

inline session_actor handle(session_ptr self) {
  return caf::actor_cast<session_actor>(self);
}

/// Trace line of a client frame. Its time is the frame's arrival (the
/// connection is no actor and records nothing itself); a chat frame is
/// recorded once its chat id exists, after the room's or registry's reply.
inline void trace_frame(session_ptr self, int64_t arrival_ns, uint64_t id = 0) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.traced("conn:" + st.user, "frame", id, arrival_ns);
}

/// Trace line: this session handled `msg` (a reply, a down message...)
/// from `kind` + `name`, e.g. "room:" "lobby". Builds nothing when off.
inline void trace_in(session_ptr self, const char* kind,
                     const std::string& name, const char* msg,
                     uint64_t id = 0) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.traced(kind + name, msg, id);
}

/// The same from an actor with a fixed name (the registry).
inline void trace_in(session_ptr self, const char* from, const char* msg,
                     uint64_t id = 0) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.traced(from, msg, id);
}

/// Refuses the login: error frame, close 1008, end.
void refuse(session_ptr self, error_code code, std::string_view detail);

/// Asks the registry for room `name` and becomes a member. Awaited, like
/// every step of a join, so client frames sent meanwhile wait their turn.
/// `dead` is the room we knew if it failed (the registry replaces it).
void enter_room(session_ptr self, std::string name, entry how,
                int attempts_left, caf::actor_addr dead = {});

/// Moves to room `name` (see session_rooms.cpp for the order of frames).
void switch_room(session_ptr self, std::string name);

/// A say: publishes to the current room.
void on_say(session_ptr self, codec::say_request& req, int64_t arrival_ns);

/// A private message: looks the peer up and writes to both connections.
void on_whisper(session_ptr self, codec::whisper_request& req,
                int64_t arrival_ns);

/// A users request: the member list of a room.
void on_users(session_ptr self, codec::users_request& req);

} // namespace chat::session_detail
