#include "actors/room.hpp"

#include <algorithm>
#include <vector>

#include "actors/codec.hpp"
#include "actors/tracer.hpp"

namespace chat {

namespace {

struct member {
  session_actor handle;
  std::string user;
  connection_ref conn;
};

struct room_state {
  static inline const char* name = "room";
  std::string room;
  room_owner owner;
  context* ctx = nullptr;
  std::vector<member> members;

  std::vector<member>::iterator find(const caf::actor_addr& addr) {
    return std::find_if(members.begin(), members.end(), [&](const member& m) {
      return m.handle.address() == addr;
    });
  }

  std::vector<std::string> sorted_names() const {
    std::vector<std::string> names;
    names.reserve(members.size());
    for (const auto& m : members)
      names.push_back(m.user);
    std::sort(names.begin(), names.end());
    return names;
  }
};

using room_ptr = room_actor::stateful_pointer<room_state>;

/// Counts one handled message for /metrics.
void count(room_ptr self) {
  self->state.ctx->stats.handled(actor_kind::room, self->mailbox().size());
}

/// Queues one encoded frame on every member's connection: one encoding,
/// shared by all; returns how many connections took it.
std::size_t fan_out(room_ptr self, const frame& f) {
  std::size_t sent = 0;
  for (const auto& m : self->state.members)
    sent += m.conn.send(f) ? 1 : 0;
  return sent;
}

/// The trace name of the actor at `addr`: a member, the owner or unnamed.
std::string name_of(room_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  if (!addr)
    return unnamed_sender(addr);
  if (auto it = st.find(addr); it != st.members.end())
    return "session:" + it->user;
  if (addr == st.owner.address())
    return "registry";
  return unnamed_sender(addr);
}

/// Trace line: the room handled `msg` from the current sender (or from
/// `addr`). Builds nothing when off.
void trace_in(room_ptr self, const char* msg, const caf::actor_addr& addr = {},
              uint64_t id = 0) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.ctx->trace(name_of(self, addr ? addr
                                     : caf::actor_cast<caf::actor_addr>(
                                           self->current_sender())),
                  "room:" + st.room, msg, id);
}

/// Trace lines of one broadcast's deliveries: connections are no actors,
/// so the room records what it queued on each member's connection, right
/// after the fan-out and all with its end time. One message to the tracer.
void trace_deliveries(room_ptr self, uint64_t id) {
  auto& st = self->state;
  if (!st.ctx->tracing())
    return;
  auto now = steady_now_ns();
  auto from = "room:" + st.room;
  std::vector<trace_record> lines;
  lines.reserve(st.members.size());
  for (const auto& m : st.members)
    if (!m.conn.out.expired())
      lines.push_back({now, from, "conn:" + m.user, "message", id});
  st.ctx->trace(std::move(lines));
}

/// The first frame a new member gets, before any broadcast can reach it.
std::string greeting(const room_state& st, const std::string& user, entry how,
                     const std::vector<std::string>& names) {
  switch (how) {
  case entry::login:
    return codec::encode_welcome(user, st.room, names);
  case entry::reattach:
    return codec::encode_reset(st.room, names);
  case entry::join:
    break;
  }
  return codec::encode_presence("join", user, st.room);
}

/// Removes a member and tells the rest; the removed session gets nothing more.
void remove_member(room_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto it = st.find(addr);
  if (it == st.members.end())
    return;
  auto user = std::move(it->user);
  self->demonitor(it->handle.address());
  st.members.erase(it);
  fan_out(self, frame::make(codec::encode_presence("leave", user, st.room)));
  if (st.members.empty())
    self->send(st.owner, room_empty_atom::value, st.room);
}

room_actor::behavior_type room_impl(room_ptr self, std::string name,
                                    room_owner owner, context* ctx) {
  self->state.room = std::move(name);
  self->state.owner = std::move(owner);
  self->state.ctx = ctx;
  self->set_down_handler([self](caf::down_msg& dm) {
    count(self);
    trace_in(self, "down", dm.source);
    remove_member(self, dm.source);
  });
  return {
      [self](join_atom, session_actor who, std::string& user,
             connection_ref& conn, entry how) -> std::vector<std::string> {
        count(self);
        auto& st = self->state;
        // Named from the message: the joiner may not be a member yet.
        if (st.ctx->tracing())
          st.ctx->trace("session:" + user, "room:" + st.room, "join");
        if (st.find(who.address()) == st.members.end()) {
          fan_out(self,
                  frame::make(codec::encode_presence("join", user, st.room)));
          self->monitor(who);
          st.members.push_back(member{who, user, conn});
        }
        auto names = st.sorted_names();
        conn.send(frame::make(greeting(st, user, how, names)));
        // Right behind the welcome: peers may find the new user now.
        if (how == entry::login)
          self->send(st.owner, ready_atom::value, user, who);
        return names;
      },
      [self](leave_atom, const session_actor& who) {
        count(self);
        trace_in(self, "leave", who.address());
        remove_member(self, who.address());
        return caf::ok_atom::value;
      },
      [self](publish_atom, const std::string& from,
             const std::string& msg) -> uint64_t {
        count(self);
        auto& st = self->state;
        auto id = st.ctx->next_message_id();
        trace_in(self, "publish", {}, id);
        auto sent =
            fan_out(self, frame::make(codec::encode(codec::chat_message{
                              id, codec::now_ms(), from, "", st.room, msg})));
        trace_deliveries(self, id);
        st.ctx->stats.broadcasts.fetch_add(1, std::memory_order_relaxed);
        st.ctx->stats.deliveries.fetch_add(sent, std::memory_order_relaxed);
        return id;
      },
      [self](members_atom) {
        count(self);
        trace_in(self, "members");
        return self->state.sorted_names();
      },
      [self](close_room_atom) {
        count(self);
        trace_in(self, "close_room");
        if (!self->state.members.empty())
          return false;
        self->quit();
        return true;
      },
  };
}

} // namespace

room_actor spawn_room(caf::local_actor* parent, std::string name,
                      room_owner owner, context& ctx) {
  return parent->spawn(room_impl, std::move(name), std::move(owner), &ctx);
}

} // namespace chat
