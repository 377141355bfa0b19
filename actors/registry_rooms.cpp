// The registry's room directory. A room lives on the node that rendezvous
// hashing of its name over the live nodes picks (placement.hpp); there the
// registry spawns it, and elsewhere it spawns a mirror of it for its
// sessions. When the view changes, a room (or mirror) whose place moved
// ends, and its members join it where it lives now, with a `reset`.
#include "actors/log.hpp"
#include "actors/patient_request.hpp"
#include "actors/placement.hpp"
#include "actors/registry_state.hpp"
#include "actors/room.hpp"
#include "actors/room_mirror.hpp"

namespace chat {

namespace {

/// The node where `room` lives, by this node's view.
const std::string& owner(registry_ptr self, const std::string& room) {
  auto& st = self->state;
  return st.view.empty() ? st.node() : owner_of(room, st.view);
}

bool lives_here(registry_ptr self, const std::string& room) {
  return owner(self, room) == self->state.node();
}

room_actor find_or_spawn_room(registry_ptr self, const std::string& name) {
  auto& st = self->state;
  if (auto it = st.rooms.find(name); it != st.rooms.end())
    return it->second;
  auto room =
      spawn_room(self, name, caf::actor_cast<room_owner>(self), *st.ctx);
  self->monitor(room);
  st.rooms.emplace(name, room);
  st.rooms_by_addr.emplace(room.address(), name);
  st.ctx->stats.rooms.fetch_add(1);
  return room;
}

/// Every join waiting for `room` gets the same answer.
void finish_join(registry_ptr self, const std::string& room,
                 const caf::expected<room_actor>& result) {
  auto& st = self->state;
  auto it = st.joining.find(room);
  if (it == st.joining.end())
    return;
  auto waiting = std::move(it->second.promises);
  st.joining.erase(it);
  for (auto& promise : waiting)
    if (result)
      promise.deliver(*result);
    else
      promise.deliver(result.error());
}

/// Asks the node where `room` lives for it, then mirrors it here. The view
/// may place it elsewhere in a moment (nodes learn of deaths at slightly
/// different times): a refusal is asked again, until the deadline. A host
/// that leaves the view is replaced by rooms_on_view, which asks anew.
void ask_host(registry_ptr self, const std::string& room) {
  auto& st = self->state;
  auto it = st.joining.find(room);
  if (it == st.joining.end())
    return;
  auto& wait = it->second;
  const auto& host = owner(self, room);
  if (host == st.node()) {
    finish_join(self, room, find_or_spawn_room(self, room));
    return;
  }
  auto attempt = ++wait.attempt;
  wait.asked = host;
  auto peer = st.peers.find(host);
  if (peer == st.peers.end()) { // cannot be: the view is made of the peers
    finish_join(self, room, make_error(chat_errc::not_owner));
    return;
  }
  self->request(peer->second.registry, st.ctx->peer_patience(),
                host_atom::value, room)
      .then(
          [self, room, attempt, host](room_actor& hosted) {
            end_request_timeout(self);
            auto& st = self->state;
            auto it = st.joining.find(room);
            if (it == st.joining.end() || it->second.attempt != attempt)
              return; // a newer attempt (the view changed) answers instead
            auto mirror =
                spawn_room_mirror(self, room, hosted, host,
                                  caf::actor_cast<room_owner>(self), *st.ctx);
            self->monitor(mirror);
            st.mirrors[room] = registry_state::mirrored_room{mirror, host};
            st.rooms_by_addr.emplace(mirror.address(), room);
            finish_join(self, room, caf::actor_cast<room_actor>(mirror));
          },
          [self, room, attempt](caf::error& err) {
            end_request_timeout(self);
            auto& st = self->state;
            auto it = st.joining.find(room);
            if (it == st.joining.end() || it->second.attempt != attempt)
              return;
            if (std::chrono::steady_clock::now() >= it->second.deadline) {
              log::warn("room " + room +
                        " has no host: " + self->system().render(err));
              finish_join(self, room, err);
              return;
            }
            self->delayed_send(self, std::chrono::milliseconds(100),
                               tick_atom::value, room);
          });
}

} // namespace

caf::result<room_actor> join_room(registry_ptr self, const std::string& room) {
  auto& st = self->state;
  if (lives_here(self, room))
    return find_or_spawn_room(self, room);
  if (auto it = st.mirrors.find(room); it != st.mirrors.end())
    return caf::actor_cast<room_actor>(it->second.mirror);
  auto promise = self->make_response_promise<room_actor>();
  auto& wait = st.joining[room];
  wait.promises.push_back(promise);
  if (wait.promises.size() == 1) {
    wait.deadline = std::chrono::steady_clock::now() + st.ctx->peer_patience();
    ask_host(self, room);
  }
  return promise;
}

void retry_join(registry_ptr self, const std::string& room) {
  ask_host(self, room);
}

caf::result<room_actor> host_room(registry_ptr self, const std::string& room) {
  if (!lives_here(self, room))
    return make_error(chat_errc::not_owner);
  return find_or_spawn_room(self, room);
}

caf::result<std::vector<std::string>> room_members(registry_ptr self,
                                                   const std::string& room) {
  auto& st = self->state;
  if (auto it = st.rooms.find(room); it != st.rooms.end())
    return self->delegate(it->second, members_atom::value);
  if (auto it = st.mirrors.find(room); it != st.mirrors.end())
    return self->delegate(it->second.mirror, members_atom::value);
  // Asked by a peer, or by nobody here for a room that lives here: only
  // what this node hosts counts (two views never bounce a request).
  auto& sender = self->current_sender();
  bool from_peer = sender && sender->node() != self->node();
  if (from_peer || lives_here(self, room))
    return std::vector<std::string>{};
  auto peer = st.peers.find(owner(self, room));
  if (peer == st.peers.end())
    return std::vector<std::string>{};
  auto promise = self->make_response_promise<std::vector<std::string>>();
  auto key = st.relays.hold(promise);
  self->request(peer->second.registry, st.ctx->node_timeout,
                members_atom::value, room)
      .then(
          [self, promise, key](std::vector<std::string>& names) mutable {
            self->state.relays.settle(key);
            promise.deliver(std::move(names));
          },
          [self, promise, key](caf::error&) mutable {
            self->state.relays.settle(key);
            promise.deliver(std::vector<std::string>{}); // its node is gone
          });
  return promise;
}

void forget_room(registry_ptr self, const std::string& name,
                 const caf::actor_addr& addr) {
  auto& st = self->state;
  if (auto it = st.rooms.find(name);
      it != st.rooms.end() && it->second.address() == addr) {
    st.rooms.erase(it);
    st.rooms_by_addr.erase(addr);
    st.ctx->stats.rooms.fetch_sub(1);
  }
  if (auto it = st.mirrors.find(name);
      it != st.mirrors.end() && it->second.mirror.address() == addr) {
    st.mirrors.erase(it);
    st.rooms_by_addr.erase(addr);
  }
}

void on_room_empty(registry_ptr self, const std::string& name) {
  auto& st = self->state;
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  room_actor target;
  if (auto it = st.rooms.find(name);
      it != st.rooms.end() && it->second.address() == sender) {
    if (name == lobby_room)
      return; // the lobby never ends where it lives
    target = it->second;
  } else if (auto it = st.mirrors.find(name);
             it != st.mirrors.end() && it->second.mirror.address() == sender) {
    target = caf::actor_cast<room_actor>(it->second.mirror);
  } else {
    return;
  }
  // It closes only if nobody joined since it asked; joins that reach it
  // after it closed bounce and their sessions ask again.
  self->request(target, caf::infinite, close_room_atom::value)
      .then(
          [self, name, target](bool closed) {
            trace_in(self, "close_room_reply", target.address());
            if (closed)
              forget_room(self, name, target.address());
          },
          [self, target](const caf::error&) {
            trace_in(self, "close_room_error", target.address());
          });
}

bool room_down(registry_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto it = st.rooms_by_addr.find(dm.source);
  if (it == st.rooms_by_addr.end())
    return false;
  auto name = it->second;
  bool was_room = st.rooms.count(name) && st.rooms[name].address() == dm.source;
  forget_room(self, name, dm.source);
  // Supervision: a room that failed is started again under its name. Its
  // members monitor it too; they join the new one and tell their clients
  // with a `reset` presence.
  if (was_room && dm.reason && dm.reason != caf::exit_reason::user_shutdown &&
      lives_here(self, name)) {
    log::warn("room " + name + " failed (" + self->system().render(dm.reason) +
              "); restarting it");
    find_or_spawn_room(self, name);
  }
  return true;
}

void rooms_on_view(registry_ptr self) {
  auto& st = self->state;
  std::vector<std::pair<std::string, caf::actor>> moved;
  for (auto& [name, room] : st.rooms)
    if (!lives_here(self, name))
      moved.emplace_back(name, caf::actor_cast<caf::actor>(room));
  for (auto& [name, m] : st.mirrors)
    if (owner(self, name) != m.host)
      moved.emplace_back(name, caf::actor_cast<caf::actor>(m.mirror));
  for (auto& [name, actor] : moved) {
    log::info("room " + name + " now lives on node " + owner(self, name));
    forget_room(self, name, actor.address());
    self->send_exit(actor, caf::exit_reason::user_shutdown);
  }
  // Joins waiting on a node that is gone, or no longer the host, ask anew.
  std::vector<std::string> again;
  for (auto& [room, wait] : st.joining)
    if (wait.asked != owner(self, room))
      again.push_back(room);
  for (auto& room : again)
    ask_host(self, room);
}

} // namespace chat
