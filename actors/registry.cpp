#include "actors/registry.hpp"

#include <unordered_map>

#include "actors/log.hpp"
#include "actors/room.hpp"
#include "actors/tracer.hpp"

namespace chat {

namespace {

struct registry_state {
  static inline const char* name = "registry";
  context* ctx = nullptr;
  struct login {
    session_actor session;
    connection_ref conn;
    bool welcomed = false; // lookups find only welcomed sessions
  };
  std::unordered_map<std::string, login> sessions;
  std::unordered_map<caf::actor_addr, std::string> names_by_addr;
  std::unordered_map<std::string, room_actor> rooms;
  std::unordered_map<caf::actor_addr, std::string> rooms_by_addr;
};

using registry_ptr = registry_actor::stateful_pointer<registry_state>;

/// Counts one handled message for /metrics.
void count(registry_ptr self) {
  self->state.ctx->stats.handled(actor_kind::registry, self->mailbox().size());
}

/// The trace name of the actor at `addr`: a session or room we know.
std::string name_of(registry_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  if (!addr) // also: std::hash of a null actor_addr dereferences it
    return unnamed_sender(addr);
  if (auto it = st.names_by_addr.find(addr); it != st.names_by_addr.end())
    return "session:" + it->second;
  if (auto it = st.rooms_by_addr.find(addr); it != st.rooms_by_addr.end())
    return "room:" + it->second;
  return unnamed_sender(addr);
}

/// Trace line: the registry handled `msg` from the current sender (or from
/// `addr`). Builds nothing when off.
void trace_in(registry_ptr self, const char* msg,
              const caf::actor_addr& addr = {}) {
  auto& st = self->state;
  if (st.ctx->tracing())
    st.ctx->trace(name_of(self, addr ? addr
                                     : caf::actor_cast<caf::actor_addr>(
                                           self->current_sender())),
                  "registry", msg);
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

/// Forgets `room` if the directory still lists it under `name`.
void forget_room(registry_ptr self, const std::string& name,
                 const caf::actor_addr& room) {
  auto& st = self->state;
  auto it = st.rooms.find(name);
  if (it == st.rooms.end() || it->second.address() != room)
    return;
  st.rooms.erase(it);
  st.rooms_by_addr.erase(room);
  st.ctx->stats.rooms.fetch_sub(1);
}

void on_down(registry_ptr self, const caf::down_msg& dm) {
  count(self);
  trace_in(self, "down", dm.source);
  auto& st = self->state;
  if (auto it = st.names_by_addr.find(dm.source);
      it != st.names_by_addr.end()) {
    st.sessions.erase(it->second);
    st.names_by_addr.erase(it);
    st.ctx->stats.sessions.fetch_sub(1);
    return;
  }
  if (auto it = st.rooms_by_addr.find(dm.source);
      it != st.rooms_by_addr.end()) {
    auto name = it->second;
    forget_room(self, name, dm.source);
    // Supervision: a room that failed is started again under its name. Its
    // members monitor it too; they join the new one and tell their clients
    // with a `reset` presence.
    if (dm.reason && dm.reason != caf::exit_reason::user_shutdown) {
      log::warn("room " + name + " failed (" +
                self->system().render(dm.reason) + "); restarting it");
      find_or_spawn_room(self, name);
    }
  }
}

/// On the server's exit request: end every session and room, then itself.
void on_exit(registry_ptr self, const caf::exit_msg& msg) {
  // Not msg.source: anon_send_exit names the recipient there.
  trace_in(self, "exit");
  auto& st = self->state;
  for (auto& [name, login] : st.sessions)
    self->send_exit(login.session, msg.reason);
  for (auto& [name, room] : st.rooms)
    self->send_exit(room, msg.reason);
  self->quit(msg.reason);
}

registry_actor::behavior_type registry_impl(registry_ptr self, context* ctx) {
  self->state.ctx = ctx;
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  find_or_spawn_room(self, lobby_room);
  return {
      [self](login_atom, const std::string& user, const session_actor& who,
             const connection_ref& conn) -> caf::result<caf::ok_atom> {
        count(self);
        auto& st = self->state;
        // Named from the message: a refused session is in no directory.
        if (st.ctx->tracing())
          st.ctx->trace("session:" + user, "registry", "login");
        if (!st.sessions.emplace(user, registry_state::login{who, conn}).second)
          return make_error(chat_errc::name_taken);
        st.names_by_addr.emplace(who.address(), user);
        self->monitor(who);
        st.ctx->stats.sessions.fetch_add(1);
        return caf::ok_atom::value;
      },
      [self](ready_atom, const std::string& user, const session_actor& who) {
        count(self);
        trace_in(self, "ready");
        auto& st = self->state;
        if (auto it = st.sessions.find(user);
            it != st.sessions.end() && it->second.session == who)
          it->second.welcomed = true;
      },
      [self](lookup_atom, const std::string& user)
          -> caf::result<session_actor, connection_ref> {
        count(self);
        trace_in(self, "lookup");
        auto& st = self->state;
        // A session not yet welcomed is not found: a private message must
        // not reach its client before the welcome does.
        if (auto it = st.sessions.find(user);
            it != st.sessions.end() && it->second.welcomed)
          return {it->second.session, it->second.conn};
        return make_error(chat_errc::unknown_user);
      },
      [self](join_atom, const std::string& room) {
        count(self);
        trace_in(self, "join");
        return find_or_spawn_room(self, room);
      },
      [self](join_atom, const std::string& room, const caf::actor_addr& dead) {
        count(self);
        trace_in(self, "join");
        forget_room(self, room, dead);
        return find_or_spawn_room(self, room);
      },
      [self](members_atom,
             const std::string& room) -> caf::result<std::vector<std::string>> {
        count(self);
        trace_in(self, "members");
        auto& st = self->state;
        if (auto it = st.rooms.find(room); it != st.rooms.end())
          return self->delegate(it->second, members_atom::value);
        return std::vector<std::string>{};
      },
      [self](room_empty_atom, const std::string& name) {
        count(self);
        trace_in(self, "room_empty");
        auto& st = self->state;
        auto it = st.rooms.find(name);
        if (name == lobby_room || it == st.rooms.end())
          return;
        // The room closes only if nobody joined since it asked; joins that
        // reach it after it closed bounce and their sessions ask again.
        auto room = it->second;
        self->request(room, caf::infinite, close_room_atom::value)
            .then(
                [self, name, room](bool closed) {
                  trace_in(self, "close_room_reply", room.address());
                  if (closed)
                    forget_room(self, name, room.address());
                },
                [self, room](const caf::error&) {
                  trace_in(self, "close_room_error", room.address());
                  // The room died meanwhile; its down message cleans up.
                });
      },
      [self](shutdown_atom) {
        count(self);
        trace_in(self, "shutdown");
        for (auto& [name, login] : self->state.sessions)
          self->send(login.session, shutdown_atom::value);
      },
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys, context& ctx) {
  return sys.spawn(registry_impl, &ctx);
}

} // namespace chat
