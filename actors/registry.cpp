#include "actors/registry.hpp"

#include <algorithm>
#include <utility>

#include "actors/instrument.hpp"
#include "actors/log.hpp"
#include "actors/registry_state.hpp"

namespace chat {

void count(registry_ptr self) {
  chat::count(self, *self->state.ctx, actor_kind::registry);
}

namespace {

/// A message from a peer's registry: counted like any other, counted (with
/// its reply, if any) on the link to that peer, and traced.
void peer_message(registry_ptr self, const char* msg, bool replied) {
  count(self);
  trace_in(self, msg);
  auto& sender = self->current_sender();
  if (!sender)
    return;
  auto& st = self->state;
  for (auto& [name, peer] : st.peers)
    if (peer.registry.node() == sender->node()) {
      st.ctx->stats.links.received(name);
      if (replied)
        st.ctx->stats.links.sent(name);
      return;
    }
}

/// The trace name of the actor at `addr`: a session, room or mirror we
/// know, or a peer's registry.
std::string name_of(registry_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  if (auto it = st.names_by_addr.find(addr); it != st.names_by_addr.end())
    return "session:" + it->second;
  if (auto it = st.rooms_by_addr.find(addr); it != st.rooms_by_addr.end())
    return (st.mirrors.count(it->second) ? "mirror:" : "room:") + it->second;
  for (auto& [name, peer] : st.peers)
    if (peer.registry.address() == addr)
      return "registry@" + name;
  return unnamed_sender(addr);
}

void on_down(registry_ptr self, const caf::down_msg& dm) {
  count(self);
  trace_in(self, "down", dm.source);
  if (!room_down(self, dm))
    log_out(self, dm.source);
}

/// Answers every request the registry holds, as it ends: a session that
/// awaits one would otherwise never end (see held_promises.hpp).
void answer_held_requests(registry_ptr self) {
  auto& st = self->state;
  auto gone = caf::make_error(caf::sec::request_receiver_down);
  for (auto& [name, claim] : st.claiming) // logins
    claim.promise.deliver(gone);
  for (auto& [name, wait] : st.joining) // joins of rooms of other nodes
    for (auto& promise : wait.promises)
      promise.deliver(gone);
  for (auto& [name, login] : st.sessions) // private messages to the unwelcomed
    for (auto& then : std::exchange(login.waiting, {}))
      then(false);
  st.relays.fail_all(); // rooms' members asked of other nodes
}

/// On the server's exit request: end every session, room and mirror, then
/// itself.
void on_exit(registry_ptr self, const caf::exit_msg& msg) {
  // Not msg.source: anon_send_exit names the recipient there.
  trace_in(self, "exit");
  answer_held_requests(self);
  auto& st = self->state;
  for (auto& [name, login] : st.sessions)
    self->send_exit(login.session, msg.reason);
  for (auto& [name, claim] : st.claiming)
    self->send_exit(claim.session, msg.reason);
  for (auto& [name, room] : st.rooms)
    self->send_exit(room, msg.reason);
  for (auto& [name, m] : st.mirrors)
    self->send_exit(m.mirror, msg.reason);
  self->quit(msg.reason);
}

/// The node actor's view of the cluster: who died, who joined.
void on_view(registry_ptr self, std::vector<node_info>& peers) {
  auto& st = self->state;
  std::map<std::string, node_info> now;
  for (auto& p : peers) {
    auto name = p.name;
    now.emplace(std::move(name), std::move(p));
  }
  std::set<std::string> died, joined;
  for (auto& [name, old] : st.peers) {
    auto it = now.find(name);
    if (it == now.end() || it->second.incarnation != old.incarnation)
      died.insert(name); // gone, or restarted: its former life is over
  }
  for (auto& [name, info] : now) {
    auto it = st.peers.find(name);
    if (it == st.peers.end() || it->second.incarnation != info.incarnation)
      joined.insert(name);
  }
  st.peers = std::move(now);
  st.view.clear();
  st.view.push_back(st.node());
  for (auto& [name, peer] : st.peers)
    st.view.push_back(name);
  std::sort(st.view.begin(), st.view.end());
  names_on_view(self, died, joined);
  rooms_on_view(self);
}

registry_actor::behavior_type registry_impl(registry_ptr self, context* ctx) {
  self->state.ctx = ctx;
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  join_room(self, lobby_room); // alone so far, the lobby lives here
  return {
      [self](login_atom, const std::string& user, const session_actor& who,
             const connection_ref& conn) {
        count(self);
        // Named from the message: a refused session is in no directory.
        if (self->state.ctx->tracing())
          self->state.ctx->trace("session:" + user, "registry", "login");
        return log_in(self, user, who, conn);
      },
      [self](ready_atom, const std::string& user, const session_actor& who) {
        count(self);
        trace_in(self, "ready");
        on_ready(self, user, who);
      },
      [self](lookup_atom, const std::string& user) {
        count(self);
        trace_in(self, "lookup");
        return look_up(self, user);
      },
      [self](join_atom, const std::string& room) {
        count(self);
        trace_in(self, "join");
        return join_room(self, room);
      },
      [self](join_atom, const std::string& room, const caf::actor_addr& dead) {
        count(self);
        trace_in(self, "join");
        forget_room(self, room, dead);
        return join_room(self, room);
      },
      [self](tick_atom, const std::string& room) {
        count(self);
        retry_join(self, room);
      },
      [self](members_atom, const std::string& room) {
        peer_message(self, "members", true);
        return room_members(self, room);
      },
      [self](room_empty_atom, const std::string& name) {
        count(self);
        trace_in(self, "room_empty");
        on_room_empty(self, name);
      },
      [self](shutdown_atom) {
        count(self);
        trace_in(self, "shutdown");
        for (auto& [name, login] : self->state.sessions)
          self->send(login.session, shutdown_atom::value);
      },
      // -- from other nodes ---------------------------------------------------
      [self](claim_atom, const std::string& user, const name_claim& c) {
        peer_message(self, "claim", true);
        return peer_claims(self, user, c);
      },
      [self](claimed_atom, const std::string& user, const name_claim& c) {
        peer_message(self, "claimed", false);
        self->state.names.confirm(user, c);
      },
      [self](release_atom, const std::string& user, const name_claim& c) {
        peer_message(self, "release", false);
        self->state.names.release(user, c);
      },
      [self](sync_atom, const std::vector<name_entry>& names) {
        peer_message(self, "sync", false);
        merge_names(self, names);
      },
      [self](host_atom, const std::string& room) {
        peer_message(self, "host", true);
        return host_room(self, room);
      },
      [self](deliver_atom, const std::string& user, const frame& f,
             uint64_t id) {
        peer_message(self, "deliver", true);
        return deliver_private(self, user, f, id);
      },
      [self](view_atom, std::vector<node_info>& peers) {
        count(self);
        trace_in(self, "view");
        on_view(self, peers);
      },
  };
}

} // namespace

void trace_in(registry_ptr self, const char* msg, const caf::actor_addr& from) {
  chat::trace_in(
      self, *self->state.ctx, self->state.me(), msg,
      [self](const caf::actor_addr& a) { return name_of(self, a); }, from);
}

registry_actor spawn_registry(caf::actor_system& sys, context& ctx) {
  return sys.spawn(registry_impl, &ctx);
}

} // namespace chat
