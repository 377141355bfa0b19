// The state of a room actor: its local members, the mirrors of other nodes
// that hold the rest, and the publishes waiting for mirrors to take them.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "actors/context.hpp"
#include "actors/protocol.hpp"

namespace chat::room_detail {

/// A member on this node: the room writes to its connection itself.
struct local_member {
  session_actor handle;
  std::string user;
  connection_ref conn;
};

/// The members of one other node, all reached through its mirror: one
/// message per broadcast crosses the link, however many they are.
struct mirror_link {
  room_delivery handle;
  std::string node; // the mirror's node, for the link metrics
  std::map<uint64_t, std::string> members; // member id -> user
};

/// A publish whose reply waits for mirrors to take the message.
struct publish_wait {
  caf::typed_response_promise<uint64_t> promise;
  uint64_t id = 0;
  std::vector<caf::actor_addr> owing; // mirrors that have not answered
};

struct room_state {
  static inline const char* name = "room";
  std::string room;
  room_owner owner;
  context* ctx = nullptr;
  std::vector<local_member> members;
  std::map<caf::actor_addr, mirror_link> mirrors;
  std::map<uint64_t, publish_wait> waits; // by publish id
  std::string me() const { return "room:" + room; }

  std::vector<local_member>::iterator find(const caf::actor_addr& addr) {
    return std::find_if(
        members.begin(), members.end(),
        [&](const local_member& m) { return m.handle.address() == addr; });
  }

  bool empty() const { return members.empty() && mirrors.empty(); }

  std::vector<std::string> sorted_names() const {
    std::vector<std::string> names;
    names.reserve(members.size());
    for (const auto& m : members)
      names.push_back(m.user);
    for (const auto& [addr, link] : mirrors)
      for (const auto& [id, user] : link.members)
        names.push_back(user);
    std::sort(names.begin(), names.end());
    return names;
  }
};

using room_ptr = room_actor::stateful_pointer<room_state>;

} // namespace chat::room_detail
