#include "actors/session.hpp"

#include "actors/log.hpp"
#include "actors/session_state.hpp"
#include "actors/validate.hpp"

namespace chat {

namespace session_detail {

/// Refuses the login: error frame, close 1008, end.
void refuse(session_ptr self, error_code code, std::string_view detail) {
  self->state.send_error(code, detail);
  self->state.close(close_code::policy, to_string(code),
                    disconnect_reason::refused);
  self->quit();
}

namespace {

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

} // namespace session_detail

session_actor spawn_session(caf::actor_system& sys, registry_actor registry,
                            std::weak_ptr<outbound> out, std::string user,
                            context& ctx) {
  return sys.spawn(session_detail::session_impl, std::move(registry),
                   std::move(out), std::move(user), &ctx);
}

} // namespace chat
