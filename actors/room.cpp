#include "actors/room.hpp"

#include <algorithm>
#include <vector>

#include "actors/codec.hpp"

namespace chat {

namespace {

struct member {
  session_actor handle;
  std::string user;
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

/// Sends one encoded frame to every member: one encoding, shared by all.
void fan_out(room_ptr self, const frame& f) {
  for (const auto& m : self->state.members)
    self->send(m.handle, deliver_atom::value, f);
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
  self->set_down_handler(
      [self](caf::down_msg& dm) { remove_member(self, dm.source); });
  return {
      [self](join_atom, session_actor who,
             std::string& user) -> std::vector<std::string> {
        auto& st = self->state;
        if (st.find(who.address()) == st.members.end()) {
          fan_out(self,
                  frame::make(codec::encode_presence("join", user, st.room)));
          self->monitor(who);
          st.members.push_back(member{std::move(who), std::move(user)});
        }
        return st.sorted_names();
      },
      [self](leave_atom, const session_actor& who) {
        remove_member(self, who.address());
        return caf::ok_atom::value;
      },
      [self](publish_atom, const std::string& from,
             const std::string& msg) -> uint64_t {
        auto& st = self->state;
        auto id = st.ctx->next_message_id();
        fan_out(self, frame::make(codec::encode(codec::chat_message{
                          id, codec::now_ms(), from, "", st.room, msg})));
        st.ctx->stats.broadcasts.fetch_add(1, std::memory_order_relaxed);
        st.ctx->stats.deliveries.fetch_add(st.members.size(),
                                           std::memory_order_relaxed);
        return id;
      },
      [self](members_atom) { return self->state.sorted_names(); },
      [self](close_room_atom) {
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
