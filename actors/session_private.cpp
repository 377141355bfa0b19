// A session's requests about other users: private messages (to a session on
// this node or, through its registry, on another) and member lists.
#include "actors/log.hpp"
#include "actors/session_state.hpp"

namespace chat::session_detail {

namespace {

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

} // namespace

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

} // namespace chat::session_detail
