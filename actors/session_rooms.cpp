// A session's rooms: joining (with retries when a room closes under it),
// switching rooms in an order the client can rely on, and publishing.
#include "actors/log.hpp"
#include "actors/session_state.hpp"

namespace chat::session_detail {

/// Becomes a member of `room`, which sends our client its first frame for
/// the room (welcome, join ack or reset) before anything else of the room.
/// Retries through the registry if the room closed in between (it was empty
/// and nobody had joined yet).
namespace {

void join_members(session_ptr self, room_actor room, std::string name,
                  entry how, int attempts_left) {
  auto& st = self->state;
  self->request(room, caf::infinite, join_atom::value, handle(self), st.user,
                connection_ref{st.out}, how)
      .await(
          [self, room, name](caf::ok_atom) {
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

} // namespace

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
  // Urgent: a room behind on joins (a login storm in the lobby) lets its
  // leavers go first, so its member list, which each welcome carries and
  // each login is announced to, holds only those who stay.
  self->request<caf::message_priority::high>(old_room, caf::infinite,
                                             leave_atom::value, handle(self))
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

} // namespace chat::session_detail
