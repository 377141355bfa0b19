#include "actors/room_mirror.hpp"

#include <map>
#include <tuple>

#include "actors/held_promises.hpp"
#include "actors/instrument.hpp"
#include "actors/patient_request.hpp"

namespace chat {

namespace {

/// A local session in the mirrored room. It gets the room's deliveries once
/// its first frame came (active), until the room confirmed its leave.
struct mirrored_member {
  session_actor handle;
  std::string user;
  connection_ref conn;
  bool active = false;
};

struct mirror_state {
  static inline const char* name = "mirror";
  std::string room_name;
  room_actor room;  // on another node...
  std::string host; // ...this one
  room_owner owner;
  context* ctx = nullptr;
  std::map<uint64_t, mirrored_member> members; // by the session's actor id
  held_promises pending; // relayed requests awaiting the room
  std::string me() const { return "mirror:" + room_name; }
};

using mirror_ptr = room_mirror_actor::stateful_pointer<mirror_state>;

void count(mirror_ptr self) {
  chat::count(self, *self->state.ctx, actor_kind::mirror);
}

std::string name_of(mirror_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  if (addr == st.room.address())
    return "room:" + st.room_name + "@" + to_string(addr.node());
  if (auto it = st.members.find(addr.id()); it != st.members.end())
    return "session:" + it->second.user;
  return unnamed_sender(addr);
}

void trace_in(mirror_ptr self, const char* msg, uint64_t id = 0) {
  auto& st = self->state;
  chat::trace_in(
      self, *st.ctx, st.me(), msg,
      [self](const caf::actor_addr& a) { return name_of(self, a); }, {}, id);
}

room_delivery delivery(mirror_ptr self) {
  return caf::actor_cast<room_delivery>(self);
}

void if_empty_tell_owner(mirror_ptr self) {
  auto& st = self->state;
  if (st.members.empty())
    self->send(st.owner, room_empty_atom::value, st.room_name);
}

/// The mirror ends: its room is gone (its node died, or it moved), or the
/// registry closes it. Every relayed request fails; its sessions, if any,
/// see it end and join anew.
void end_mirror(mirror_ptr self, const caf::error& reason) {
  self->state.pending.fail_all();
  self->quit(reason);
}

caf::result<caf::ok_atom> join(mirror_ptr self, session_actor who,
                               std::string user, connection_ref conn,
                               entry how) {
  auto& st = self->state;
  auto member = who.id();
  st.members[member] = mirrored_member{who, user, conn, false};
  self->monitor(who);
  auto promise = self->make_response_promise<caf::ok_atom>();
  auto key = st.pending.hold(promise);
  // A busy room's node may take long; its death ends this mirror and
  // every request with it (end_mirror), its move too.
  self->request(st.room, st.ctx->peer_patience(), join_atom::value,
                delivery(self), member, user, how, st.ctx->ids.high_water(),
                st.ctx->node_name)
      .then(
          [self, promise, key, member, how](frame& first) mutable {
            end_request_timeout(self);
            auto& st = self->state;
            st.pending.settle(key);
            if (auto it = st.members.find(member); it != st.members.end()) {
              auto& m = it->second;
              m.conn.send(first); // ahead of every delivery after the reply
              m.active = true;
              if (how == entry::login) // peers may find the new user now
                self->send(st.owner, ready_atom::value, m.user, m.handle);
            }
            promise.deliver(caf::ok_atom::value);
          },
          [self, promise, key, member](caf::error& err) mutable {
            end_request_timeout(self);
            auto& st = self->state;
            st.pending.settle(key);
            if (auto it = st.members.find(member); it != st.members.end()) {
              self->demonitor(it->second.handle.address());
              st.members.erase(it);
            }
            promise.deliver(err);
            if_empty_tell_owner(self);
          });
  return promise;
}

/// A member leaves: it keeps getting the room's deliveries until the room
/// answers, so nothing published while it was a member is lost to it.
caf::result<caf::ok_atom> leave(mirror_ptr self, uint64_t member) {
  auto& st = self->state;
  auto promise = self->make_response_promise<caf::ok_atom>();
  if (!st.members.count(member)) {
    promise.deliver(caf::ok_atom::value);
    return promise;
  }
  auto key = st.pending.hold(promise);
  auto done = [self, promise, key, member]() mutable {
    auto& st = self->state;
    st.pending.settle(key);
    if (auto it = st.members.find(member); it != st.members.end()) {
      self->demonitor(it->second.handle.address());
      st.members.erase(it);
    }
    promise.deliver(caf::ok_atom::value);
    if_empty_tell_owner(self);
  };
  self->request<caf::message_priority::high>(st.room, st.ctx->node_timeout,
                                             leave_atom::value, delivery(self),
                                             member)
      .then([done](caf::ok_atom) mutable { done(); },
            [done](caf::error&) mutable { done(); }); // gone: nothing comes
  return promise;
}

/// Relays a request the mirror has nothing to add to.
template <class T, class... Ts>
caf::result<T> relay(mirror_ptr self, Ts&&... xs) {
  auto& st = self->state;
  auto promise = self->make_response_promise<T>();
  auto key = st.pending.hold(promise);
  self->request(st.room, st.ctx->node_timeout, std::forward<Ts>(xs)...)
      .then(
          [self, promise, key](T& x) mutable {
            self->state.pending.settle(key);
            promise.deliver(std::move(x));
          },
          [self, promise, key](caf::error& err) mutable {
            self->state.pending.settle(key);
            promise.deliver(err);
          });
  return promise;
}

room_mirror_actor::behavior_type mirror_impl(mirror_ptr self, std::string name,
                                             room_actor room, std::string host,
                                             room_owner owner, context* ctx) {
  auto& st = self->state;
  st.room_name = std::move(name);
  st.room = std::move(room);
  st.host = std::move(host);
  st.owner = std::move(owner);
  st.ctx = ctx;
  self->monitor(st.room);
  self->set_down_handler([self](caf::down_msg& dm) {
    count(self);
    auto& st = self->state;
    if (dm.source == st.room.address()) {
      trace_in(self, "room_down");
      end_mirror(self, dm.reason);
      return;
    }
    // A member's session ended without leaving: tell the room for it.
    trace_in(self, "down");
    auto it = st.members.find(dm.source.id());
    if (it == st.members.end())
      return;
    auto member = it->first;
    st.members.erase(it);
    self->request<caf::message_priority::high>(st.room, st.ctx->node_timeout,
                                               leave_atom::value,
                                               delivery(self), member)
        .then([](caf::ok_atom) {}, [](caf::error&) {});
    if_empty_tell_owner(self);
  });
  self->set_exit_handler(
      [self](caf::exit_msg& msg) { end_mirror(self, msg.reason); });
  auto not_here = [] { return make_error(caf::sec::unexpected_message); };
  return {
      [self](join_atom, session_actor who, std::string& user,
             connection_ref& conn, entry how) {
        count(self);
        if (self->state.ctx->tracing())
          self->state.ctx->trace("session:" + user, self->state.me(), "join");
        return join(self, std::move(who), std::move(user), std::move(conn),
                    how);
      },
      [not_here](join_atom, room_delivery, uint64_t, std::string&, entry,
                 uint64_t, std::string&) -> caf::result<frame> {
        return not_here(); // mirrors of mirrors do not exist
      },
      [self](leave_atom, const session_actor& who) {
        count(self);
        trace_in(self, "leave");
        return leave(self, who.id());
      },
      [not_here](leave_atom, const room_delivery&,
                 uint64_t) -> caf::result<caf::ok_atom> { return not_here(); },
      [self](publish_atom, std::string& from, std::string& msg,
             uint64_t after) -> caf::result<uint64_t> {
        count(self);
        trace_in(self, "publish");
        auto& st = self->state;
        // Ids of the room stay above what this node has seen already.
        after = std::max(after, st.ctx->ids.high_water());
        auto promise = self->make_response_promise<uint64_t>();
        auto key = st.pending.hold(promise);
        self->request(st.room, st.ctx->node_timeout, publish_atom::value,
                      std::move(from), std::move(msg), after)
            .then(
                [self, promise, key](uint64_t id) mutable {
                  self->state.pending.settle(key);
                  self->state.ctx->ids.observe(id);
                  promise.deliver(id);
                },
                [self, promise, key](caf::error& err) mutable {
                  self->state.pending.settle(key);
                  promise.deliver(err);
                });
        return promise;
      },
      [self](members_atom) {
        count(self);
        trace_in(self, "members");
        return relay<std::vector<std::string>>(self, members_atom::value);
      },
      [self](close_room_atom) {
        count(self);
        trace_in(self, "close_room");
        if (!self->state.members.empty())
          return false;
        end_mirror(self, caf::error{});
        return true;
      },
      [self](deliver_atom, const frame& f, uint64_t id) {
        count(self);
        auto& st = self->state;
        trace_in(self, "deliver", id);
        st.ctx->stats.links.received(st.host);
        st.ctx->stats.links.sent(st.host); // the ok
        st.ctx->ids.observe(id);
        std::size_t sent = 0;
        for (auto& [member, m] : st.members)
          if (m.active)
            sent += m.conn.send(f) ? 1 : 0;
        if (id != 0) // a chat message, not presence
          st.ctx->stats.deliveries.fetch_add(sent, std::memory_order_relaxed);
        return caf::ok_atom::value;
      },
  };
}

} // namespace

room_mirror_actor spawn_room_mirror(caf::local_actor* parent, std::string name,
                                    room_actor room, std::string host,
                                    room_owner owner, context& ctx) {
  return parent->spawn(mirror_impl, std::move(name), std::move(room),
                       std::move(host), std::move(owner), &ctx);
}

} // namespace chat
