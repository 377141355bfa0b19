#include "actors/session.hpp"

#include <algorithm>

#include "actors/codec.hpp"
#include "actors/log.hpp"
#include "actors/token_bucket.hpp"
#include "actors/validate.hpp"

namespace chat {

namespace {

/// How often a session asks again for a room that closed under it.
constexpr int join_attempts = 5;

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
void count(session_ptr self) {
  self->state.ctx->stats.handled(actor_kind::session, self->mailbox().size());
}

session_actor handle(session_ptr self) {
  return caf::actor_cast<session_actor>(self);
}

/// Trace line of a client frame. Its time is the frame's arrival (the
/// connection is no actor and records nothing itself); a chat frame is
/// recorded once its chat id exists, after the room's or registry's reply.
void trace_frame(session_ptr self, int64_t arrival_ns, uint64_t id = 0) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.traced("conn:" + st.user, "frame", id, arrival_ns);
}

/// Trace line: this session handled `msg` (a reply, a down message...)
/// from `kind` + `name`, e.g. "room:" "lobby". Builds nothing when off.
void trace_in(session_ptr self, const char* kind, const std::string& name,
              const char* msg, uint64_t id = 0) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.traced(kind + name, msg, id);
}

/// The same from an actor with a fixed name (the registry).
void trace_in(session_ptr self, const char* from, const char* msg,
              uint64_t id = 0) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.traced(from, msg, id);
}

/// Refuses the login: error frame, close 1008, end.
void refuse(session_ptr self, error_code code, std::string_view detail) {
  self->state.send_error(code, detail);
  self->state.close(close_code::policy, to_string(code),
                    disconnect_reason::refused);
  self->quit();
}

/// Asks the registry for room `name` and becomes a member. Awaited, like
/// every step of a join, so client frames sent meanwhile wait their turn.
void enter_room(session_ptr self, std::string name, entry how,
                int attempts_left, caf::actor_addr dead = {});

/// Becomes a member of `room`, which sends our client its first frame for
/// the room (welcome, join ack or reset) before anything else of the room.
/// Retries through the registry if the room closed in between (it was empty
/// and nobody had joined yet).
void join_members(session_ptr self, room_actor room, std::string name,
                  entry how, int attempts_left) {
  auto& st = self->state;
  self->request(room, caf::infinite, join_atom::value, handle(self), st.user,
                connection_ref{st.out}, how)
      .await(
          [self, room, name](std::vector<std::string>&) {
            trace_in(self, "room:", name, "join_reply");
            auto& st = self->state;
            st.room = room;
            st.room_name = name;
            // If the room fails, we hear it and join its restarted successor.
            self->monitor(room);
          },
          [self, room, name, how, attempts_left](caf::error& err) {
            trace_in(self, "room:", name, "join_error");
            if (attempts_left > 1) {
              enter_room(self, name, how, attempts_left - 1, room.address());
              return;
            }
            log::error("session " + self->state.user + ": cannot join room " +
                       name + ": " + self->system().render(err));
            self->state.close(close_code::internal_error, "cannot join room",
                              disconnect_reason::server_error);
            self->quit();
          });
}

void enter_room(session_ptr self, std::string name, entry how,
                int attempts_left, caf::actor_addr dead) {
  auto on_room = [self, name, how, attempts_left](room_actor& room) {
    trace_in(self, "registry", "join_reply");
    join_members(self, room, name, how, attempts_left);
  };
  auto on_error = [self](caf::error& err) {
    trace_in(self, "registry", "join_error");
    self->quit(err);
  };
  auto& registry = self->state.registry;
  if (dead) // the room we knew is gone: have the registry replace it now
    self->request(registry, caf::infinite, join_atom::value, name, dead)
        .await(on_room, on_error);
  else
    self->request(registry, caf::infinite, join_atom::value, name)
        .await(on_room, on_error);
}

/// Moves to room `name`. The client sees, in this order: everything the old
/// room sent it, the `join` ack for the new room, then the new room's
/// messages. So: leave first and wait for the old room's reply (it comes
/// after every frame the old room queued for us), then join the new room,
/// which queues the ack before any of its own messages.
void switch_room(session_ptr self, std::string name) {
  auto& st = self->state;
  auto old_room = std::move(st.room);
  auto old_name = std::move(st.room_name);
  self->demonitor(old_room.address());
  st.room = nullptr;
  st.room_name.clear();
  self->request(old_room, caf::infinite, leave_atom::value, handle(self))
      .await(
          [self, name, old_name](caf::ok_atom) {
            trace_in(self, "room:", old_name, "leave_reply");
            enter_room(self, name, entry::join, join_attempts);
          },
          [self, name, old_name](caf::error&) {
            trace_in(self, "room:", old_name, "leave_error");
            // The old room is gone, and with it anything it could still send.
            enter_room(self, name, entry::join, join_attempts);
          });
}

void on_say(session_ptr self, codec::say_request& req, int64_t arrival_ns) {
  auto& st = self->state;
  if (req.room && *req.room != st.room_name) {
    trace_frame(self, arrival_ns);
    st.send_error(error_code::bad_request,
                  "you are not in room '" + *req.room + "'; join it first");
    return;
  }
  // Awaited: the reply comes once the room queued every delivery, so the
  // next message of this sender cannot overtake this one anywhere.
  self->request(st.room, caf::infinite, publish_atom::value, st.user,
                std::move(req.msg), st.ctx->ids.high_water())
      .await(
          [self, arrival_ns](uint64_t id) {
            self->state.ctx->ids.observe(id); // the room may be elsewhere
            self->state.ctx->stats.observe_delivery(steady_now_ns() -
                                                    arrival_ns);
            trace_frame(self, arrival_ns, id);
            trace_in(self, "room:", self->state.room_name, "publish_reply", id);
          },
          [self, arrival_ns](caf::error& err) {
            trace_frame(self, arrival_ns);
            trace_in(self, "room:", self->state.room_name, "publish_error");
            log::warn("session " + self->state.user +
                      ": publish failed: " + self->system().render(err));
            // The room failed (or moved) before it took the message: it
            // reached nobody, and the client hears so.
            self->state.send_error(error_code::unavailable,
                                   "the room restarted before the message "
                                   "was delivered; send it again");
          });
}

/// Counts and traces a private message that reached `to` (and the echo).
void delivered_private(session_ptr self, const std::string& to, uint64_t id,
                       bool echoed, int64_t arrival_ns) {
  auto& st = self->state;
  if (st.ctx->tracing()) {
    // Connections are no actors: the sender records deliveries.
    auto me = "session:" + st.user;
    st.ctx->trace(me, "conn:" + to, "private", id);
    if (echoed)
      st.ctx->trace(me, "conn:" + st.user, "private", id);
  }
  st.ctx->stats.privates.fetch_add(1, std::memory_order_relaxed);
  st.ctx->stats.deliveries.fetch_add(echoed ? 1 : 0, std::memory_order_relaxed);
  st.ctx->stats.observe_delivery(steady_now_ns() - arrival_ns);
}

void no_such_user(session_ptr self, const std::string& to) {
  self->state.send_error(error_code::unknown_user,
                         "no user '" + to + "' is logged in");
}

void on_whisper(session_ptr self, codec::whisper_request& req,
                int64_t arrival_ns) {
  auto& st = self->state;
  self->request(st.registry, caf::infinite, lookup_atom::value, req.to)
      .await(
          [self, to = req.to, msg = std::move(req.msg),
           arrival_ns](session_actor&, connection_ref& peer,
                       registry_peer_actor& remote) {
            auto& st = self->state;
            // The id is taken here, so the lookup request itself carries
            // none in the trace; its reply does.
            auto id = st.ctx->next_message_id();
            trace_frame(self, arrival_ns, id);
            trace_in(self, "registry", "lookup_reply", id);
            auto f = frame::make(codec::encode(codec::chat_message{
                id, codec::now_ms(), st.user, to, "", msg}));
            connection_ref own{st.out};
            if (remote) {
              // On another node: its registry writes it to the connection,
              // and its answer comes after, so our next message cannot
              // overtake this one there.
              self->request(remote, st.ctx->node_timeout, deliver_atom::value,
                            to, f, id)
                  .await(
                      [self, to, f, id, arrival_ns](bool delivered) {
                        if (!delivered)
                          return no_such_user(self, to);
                        connection_ref own{self->state.out};
                        delivered_private(self, to, id, own.send(f),
                                          arrival_ns);
                      },
                      [self, to](caf::error&) { no_such_user(self, to); });
              return;
            }
            // Straight to both connections: anything a room queued for
            // either of them before our lookup reply stays ahead. A peer
            // that is leaving takes nothing: then the sender hears so.
            if (!peer.send(f))
              return no_such_user(self, to);
            st.ctx->stats.deliveries.fetch_add(1, std::memory_order_relaxed);
            bool echoed = !peer.same(own) && own.send(f);
            delivered_private(self, to, id, echoed, arrival_ns);
          },
          [self, to = req.to, arrival_ns](caf::error& err) {
            trace_frame(self, arrival_ns);
            trace_in(self, "registry", "lookup_error");
            if (!is(err, chat_errc::unknown_user))
              log::warn("session: lookup failed: " +
                        self->system().render(err));
            no_such_user(self, to);
          });
}

void on_users(session_ptr self, codec::users_request& req) {
  auto& st = self->state;
  auto room = req.room.value_or(st.room_name);
  self->request(st.registry, caf::infinite, members_atom::value, room)
      .await(
          [self, room](std::vector<std::string>& users) {
            // The registry delegates to the room when it exists.
            if (caf::actor_cast<caf::actor_addr>(self->current_sender()) ==
                self->state.registry.address())
              trace_in(self, "registry", "members_reply");
            else
              trace_in(self, "room:", room, "members_reply");
            self->state.send(codec::encode_users(room, users));
          },
          [self, room](caf::error&) {
            trace_in(self, "registry", "members_error");
            // The room closed while asked (it was empty): nobody is in it.
            self->state.send(codec::encode_users(room, {}));
          });
}

void on_text(session_ptr self, std::string& text, int64_t arrival_ns) {
  auto& st = self->state;
  if (!st.bucket.take(arrival_ns)) {
    trace_frame(self, arrival_ns);
    st.send_error(error_code::rate_limited,
                  "more than the allowed frames per second; frame dropped");
    return;
  }
  auto decoded = codec::decode(text, st.ctx->lim.max_msg_code_points);
  if (auto* err = std::get_if<codec::decode_error>(&decoded)) {
    trace_frame(self, arrival_ns);
    st.send_error(err->code, err->detail);
    return;
  }
  std::visit(
      [self, &st, arrival_ns](auto& req) {
        using T = std::decay_t<decltype(req)>;
        // Chat frames are traced by on_say and on_whisper, with their id.
        if constexpr (!std::is_same_v<T, codec::say_request> &&
                      !std::is_same_v<T, codec::whisper_request>)
          trace_frame(self, arrival_ns);
        if constexpr (std::is_same_v<T, codec::say_request>) {
          on_say(self, req, arrival_ns);
        } else if constexpr (std::is_same_v<T, codec::whisper_request>) {
          on_whisper(self, req, arrival_ns);
        } else if constexpr (std::is_same_v<T, codec::join_request>) {
          if (req.room == st.room_name)
            st.send(codec::encode_presence("join", st.user, st.room_name));
          else
            switch_room(self, std::move(req.room));
        } else if constexpr (std::is_same_v<T, codec::users_request>) {
          on_users(self, req);
        } else {
          st.send(codec::encode_pong(req.id));
        }
      },
      std::get<codec::request>(decoded));
}

/// Claims the name, then enters the lobby. Awaited: client frames wait.
void log_in(session_ptr self) {
  self->request(self->state.registry, caf::infinite, login_atom::value,
                self->state.user, handle(self), connection_ref{self->state.out})
      .await(
          [self](caf::ok_atom) {
            trace_in(self, "registry", "login_reply");
            enter_room(self, lobby_room, entry::login, join_attempts);
          },
          [self](caf::error& err) {
            trace_in(self, "registry", "login_error");
            if (is(err, chat_errc::name_taken))
              refuse(self, error_code::name_taken,
                     "'" + self->state.user + "' is already logged in");
            else
              self->quit(err);
          });
}

session_actor::behavior_type session_impl(session_ptr self,
                                          registry_actor registry,
                                          std::weak_ptr<outbound> out,
                                          std::string user, context* ctx) {
  auto& st = self->state;
  st.registry = std::move(registry);
  st.out = out;
  st.user = std::move(user);
  st.ctx = ctx;
  st.bucket = token_bucket{ctx->lim.rate_per_second, ctx->lim.rate_burst};
  // However the session ends abnormally, its connection learns it.
  self->attach_functor([out](const caf::error& reason) {
    if (!reason)
      return;
    if (auto conn = out.lock()) {
      if (reason == caf::exit_reason::user_shutdown)
        conn->close(close_code::going_away, "server shutting down",
                    disconnect_reason::shutdown);
      else
        conn->close(close_code::internal_error, "internal error",
                    disconnect_reason::server_error);
    }
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    count(self);
    auto& st = self->state;
    if (!st.room || dm.source != st.room.address())
      return;
    trace_in(self, "room:", st.room_name, "down");
    // Our room failed; the registry restarts it. Join the new one.
    auto name = st.room_name;
    st.room = nullptr;
    enter_room(self, name, entry::reattach, join_attempts, dm.source);
  });
  if (is_valid_name(st.user))
    log_in(self);
  else
    refuse(self, error_code::bad_username,
           "user names are 1 to 32 code points of UTF-8, without "
           "whitespace, control characters or '/'");
  return {
      [self](ws_text_atom, std::string& text, int64_t arrival_ns) {
        count(self);
        self->state.consumed(text.size());
        on_text(self, text, arrival_ns);
      },
      [self](ws_binary_atom, int64_t arrival_ns) {
        count(self);
        trace_frame(self, arrival_ns);
        auto& st = self->state;
        st.consumed(0);
        if (!st.bucket.take(arrival_ns))
          st.send_error(error_code::rate_limited,
                        "more than the allowed frames per second; frame "
                        "dropped");
        else
          st.send_error(error_code::unsupported,
                        "binary frames are not supported; send JSON text");
      },
      [self](ws_close_atom, uint16_t code, std::string& reason,
             disconnect_reason why) {
        count(self);
        trace_in(self, "conn:", self->state.user, "ws_close");
        // Every frame before the client's close (or its broken frame) is
        // answered by now: the replies are queued ahead of our close.
        self->state.close(code, std::move(reason), why);
        self->quit();
      },
      [self](ws_down_atom, const std::string&) {
        count(self);
        trace_in(self, "conn:", self->state.user, "ws_down");
        self->quit();
      },
      [self](name_lost_atom) {
        count(self);
        trace_in(self, "registry", "name_lost");
        refuse(self, error_code::name_taken,
               "'" + self->state.user +
                   "' was logged in elsewhere in the cluster before this "
                   "session");
      },
      [self](shutdown_atom) {
        count(self);
        trace_in(self, "registry", "shutdown");
        self->state.close(close_code::going_away, "server shutting down",
                          disconnect_reason::shutdown);
      },
  };
}

} // namespace

session_actor spawn_session(caf::actor_system& sys, registry_actor registry,
                            std::weak_ptr<outbound> out, std::string user,
                            context& ctx) {
  return sys.spawn(session_impl, std::move(registry), std::move(out),
                   std::move(user), &ctx);
}

} // namespace chat
