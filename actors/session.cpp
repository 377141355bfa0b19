#include "actors/session.hpp"

#include <algorithm>

#include "actors/codec.hpp"
#include "actors/log.hpp"
#include "actors/validate.hpp"

namespace chat {

namespace {

/// How often a session asks again for a room that closed under it.
constexpr int join_attempts = 5;

/// WebSocket close codes (RFC 6455).
constexpr uint16_t close_going_away = 1001;
constexpr uint16_t close_policy = 1008;
constexpr uint16_t close_internal_error = 1011;

struct session_state {
  static inline const char* name = "session";
  registry_actor registry;
  std::weak_ptr<outbound> out;
  std::string user;
  context* ctx = nullptr;
  room_actor room;
  std::string room_name;
  double tokens = 0;
  int64_t last_refill_ns = 0;

  void send(std::string text) {
    if (auto conn = out.lock())
      conn->send(frame::make(std::move(text)));
  }

  void send_error(error_code code, std::string_view detail) {
    ctx->stats.add(code);
    send(codec::encode_error(code, detail));
  }

  void close(uint16_t code, std::string reason) {
    if (auto conn = out.lock())
      conn->close(code, std::move(reason));
  }

  /// Token bucket over every client frame, timed by arrival.
  bool take_token(int64_t arrival_ns) {
    auto elapsed = std::max<int64_t>(0, arrival_ns - last_refill_ns);
    last_refill_ns = std::max(last_refill_ns, arrival_ns);
    tokens = std::min(ctx->lim.rate_burst,
                      tokens + elapsed * 1e-9 * ctx->lim.rate_per_second);
    if (tokens < 1)
      return false;
    tokens -= 1;
    return true;
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

/// Refuses the login: error frame, close 1008, end.
void refuse(session_ptr self, error_code code, std::string_view detail) {
  self->state.send_error(code, detail);
  self->state.close(close_policy, to_string(code));
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
            auto& st = self->state;
            st.room = room;
            st.room_name = name;
            // If the room fails, we hear it and join its restarted successor.
            self->monitor(room);
          },
          [self, room, name, how, attempts_left](caf::error& err) {
            if (attempts_left > 1) {
              enter_room(self, name, how, attempts_left - 1, room.address());
              return;
            }
            log::error("session " + self->state.user + ": cannot join room " +
                       name + ": " + self->system().render(err));
            self->state.close(close_internal_error, "cannot join room");
            self->quit();
          });
}

void enter_room(session_ptr self, std::string name, entry how,
                int attempts_left, caf::actor_addr dead) {
  auto on_room = [self, name, how, attempts_left](room_actor& room) {
    join_members(self, room, name, how, attempts_left);
  };
  auto on_error = [self](caf::error& err) { self->quit(err); };
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
  self->demonitor(old_room.address());
  st.room = nullptr;
  st.room_name.clear();
  self->request(old_room, caf::infinite, leave_atom::value, handle(self))
      .await(
          [self, name](caf::ok_atom) {
            enter_room(self, name, entry::join, join_attempts);
          },
          [self, name](caf::error&) {
            // The old room is gone, and with it anything it could still send.
            enter_room(self, name, entry::join, join_attempts);
          });
}

void on_say(session_ptr self, codec::say_request& req, int64_t arrival_ns) {
  auto& st = self->state;
  if (req.room && *req.room != st.room_name) {
    st.send_error(error_code::bad_request,
                  "you are not in room '" + *req.room + "'; join it first");
    return;
  }
  // Awaited: the reply comes once the room queued every delivery, so the
  // next message of this sender cannot overtake this one anywhere.
  self->request(st.room, caf::infinite, publish_atom::value, st.user,
                std::move(req.msg))
      .await(
          [self, arrival_ns](uint64_t) {
            self->state.ctx->stats.observe_delivery(steady_now_ns() -
                                                    arrival_ns);
          },
          [self](caf::error& err) {
            log::warn("session " + self->state.user +
                      ": publish failed: " + self->system().render(err));
          });
}

void on_whisper(session_ptr self, codec::whisper_request& req,
                int64_t arrival_ns) {
  auto& st = self->state;
  self->request(st.registry, caf::infinite, lookup_atom::value, req.to)
      .await(
          [self, to = req.to, msg = std::move(req.msg),
           arrival_ns](session_actor&, connection_ref& peer) {
            auto& st = self->state;
            auto id = st.ctx->next_message_id();
            auto f = frame::make(codec::encode(codec::chat_message{
                id, codec::now_ms(), st.user, to, "", msg}));
            // Straight to both connections: anything a room queued for
            // either of them before our lookup reply stays ahead.
            uint64_t copies = peer.send(f) ? 1 : 0;
            connection_ref own{st.out};
            if (!peer.same(own))
              copies += own.send(f) ? 1 : 0;
            st.ctx->stats.privates.fetch_add(1, std::memory_order_relaxed);
            st.ctx->stats.deliveries.fetch_add(copies,
                                               std::memory_order_relaxed);
            st.ctx->stats.observe_delivery(steady_now_ns() - arrival_ns);
          },
          [self, to = req.to](caf::error& err) {
            if (is(err, chat_errc::unknown_user))
              self->state.send_error(error_code::unknown_user,
                                     "no user '" + to + "' is logged in");
            else
              log::warn("session: lookup failed: " +
                        self->system().render(err));
          });
}

void on_users(session_ptr self, codec::users_request& req) {
  auto& st = self->state;
  auto room = req.room.value_or(st.room_name);
  self->request(st.registry, caf::infinite, members_atom::value, room)
      .await(
          [self, room](std::vector<std::string>& users) {
            self->state.send(codec::encode_users(room, users));
          },
          [self, room](caf::error&) {
            // The room closed while asked (it was empty): nobody is in it.
            self->state.send(codec::encode_users(room, {}));
          });
}

void on_text(session_ptr self, std::string& text, int64_t arrival_ns) {
  auto& st = self->state;
  if (!st.take_token(arrival_ns)) {
    st.send_error(error_code::rate_limited,
                  "more than the allowed frames per second; frame dropped");
    return;
  }
  auto decoded = codec::decode(text, st.ctx->lim.max_msg_code_points);
  if (auto* err = std::get_if<codec::decode_error>(&decoded)) {
    st.send_error(err->code, err->detail);
    return;
  }
  std::visit(
      [self, &st, arrival_ns](auto& req) {
        using T = std::decay_t<decltype(req)>;
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
            enter_room(self, lobby_room, entry::login, join_attempts);
          },
          [self](caf::error& err) {
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
  st.tokens = ctx->lim.rate_burst;
  st.last_refill_ns = 0;
  // However the session ends abnormally, its connection learns it.
  self->attach_functor([out](const caf::error& reason) {
    if (!reason)
      return;
    if (auto conn = out.lock()) {
      if (reason == caf::exit_reason::user_shutdown)
        conn->close(close_going_away, "server shutting down");
      else
        conn->close(close_internal_error, "internal error");
    }
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    count(self);
    auto& st = self->state;
    if (!st.room || dm.source != st.room.address())
      return;
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
        on_text(self, text, arrival_ns);
      },
      [self](ws_binary_atom, int64_t arrival_ns) {
        count(self);
        auto& st = self->state;
        if (!st.take_token(arrival_ns))
          st.send_error(error_code::rate_limited,
                        "more than the allowed frames per second; frame "
                        "dropped");
        else
          st.send_error(error_code::unsupported,
                        "binary frames are not supported; send JSON text");
      },
      [self](ws_down_atom, const std::string&) {
        count(self);
        self->quit();
      },
      [self](shutdown_atom) {
        count(self);
        self->state.close(close_going_away, "server shutting down");
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
