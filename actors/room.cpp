#include "actors/room.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "actors/codec.hpp"
#include "actors/instrument.hpp"
#include "actors/room_state.hpp"

namespace chat {

namespace {

using namespace room_detail;

void count(room_ptr self) {
  chat::count(self, *self->state.ctx, actor_kind::room);
}

/// The trace name of the actor at `addr`: a member, a mirror, the owner.
std::string name_of(room_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  if (auto it = st.find(addr); it != st.members.end())
    return "session:" + it->user;
  if (st.mirrors.count(addr))
    return "mirror:" + st.room + "@" + to_string(addr.node());
  if (addr == st.owner.address())
    return "registry";
  return unnamed_sender(addr);
}

void trace_in(room_ptr self, const char* msg, const caf::actor_addr& from = {},
              uint64_t id = 0) {
  auto& st = self->state;
  chat::trace_in(
      self, *st.ctx, st.me(), msg,
      [self](const caf::actor_addr& a) { return name_of(self, a); }, from, id);
}

/// Trace lines of one broadcast's local deliveries: connections are no
/// actors, so the room records what it queued on each, with its end time,
/// in one message to the tracer. Mirrors record their own.
void trace_deliveries(room_ptr self, uint64_t id) {
  auto& st = self->state;
  if (!st.ctx->tracing())
    return;
  auto now = steady_now_ns();
  std::vector<trace_record> lines;
  lines.reserve(st.members.size() + st.mirrors.size());
  for (const auto& m : st.members)
    if (m.conn)
      lines.push_back({now, st.me(), "conn:" + m.user, "message", id});
  for (const auto& [addr, link] : st.mirrors)
    lines.push_back({now, st.me(), name_of(self, addr), "deliver", id});
  st.ctx->trace(std::move(lines));
}

/// A request and its reply on the link of the mirror at `addr`, if it is one.
void count_link(room_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  if (auto it = st.mirrors.find(addr); it != st.mirrors.end()) {
    st.ctx->stats.links.received(it->second.node);
    st.ctx->stats.links.sent(it->second.node);
  }
}

/// A publish's mirror answered (or died): the reply goes once all did.
void settle(room_ptr self, uint64_t id, const caf::actor_addr& mirror) {
  auto& waits = self->state.waits;
  auto it = waits.find(id);
  if (it == waits.end())
    return;
  auto& owing = it->second.owing;
  owing.erase(std::remove(owing.begin(), owing.end(), mirror), owing.end());
  if (owing.empty()) {
    it->second.promise.deliver(id);
    waits.erase(it);
  }
}

/// Queues one encoded frame on every local member's connection (one
/// encoding, shared by all) and sends it once to every mirror. With a
/// `wait`, the mirrors' answers settle it. Returns how many local
/// connections took it.
std::size_t fan_out(room_ptr self, const frame& f, uint64_t id = 0,
                    publish_wait* wait = nullptr) {
  auto& st = self->state;
  std::size_t sent = 0;
  for (const auto& m : st.members)
    sent += m.conn.send(f) ? 1 : 0;
  for (const auto& [addr, link] : st.mirrors) {
    st.ctx->stats.links.sent(link.node);
    if (!wait) { // presence: nobody waits for it
      caf::anon_send(link.handle, deliver_atom::value, f, id);
      continue;
    }
    wait->owing.push_back(addr);
    // A link that dies drops requests silently: the timeout (and the
    // mirror's down message, usually first) settles them.
    self->request(link.handle, st.ctx->node_timeout, deliver_atom::value, f, id)
        .then(
            [self, id, addr = addr, node = link.node](caf::ok_atom) {
              self->state.ctx->stats.links.received(node);
              settle(self, id, addr);
            },
            [self, id, addr = addr](caf::error&) { settle(self, id, addr); });
  }
  return sent;
}

/// The first frame a new member gets, before any broadcast can reach it.
/// Only a welcome or a reset lists the members.
frame greeting(const room_state& st, const std::string& user, entry how) {
  switch (how) {
  case entry::login:
    return frame::make(codec::encode_welcome(user, st.room, st.sorted_names()));
  case entry::reattach:
    return frame::make(codec::encode_reset(st.room, st.sorted_names()));
  case entry::join:
    break;
  }
  return frame::make(codec::encode_presence("join", user, st.room));
}

void announce(room_ptr self, const char* event, const std::string& user) {
  fan_out(self,
          frame::make(codec::encode_presence(event, user, self->state.room)));
}

void if_empty_tell_owner(room_ptr self) {
  auto& st = self->state;
  if (st.empty())
    self->send(st.owner, room_empty_atom::value, st.room);
}

/// Removes a local member and tells the rest; it gets nothing more.
void remove_member(room_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto it = st.find(addr);
  if (it == st.members.end())
    return;
  auto user = std::move(it->user);
  self->demonitor(it->handle.address());
  st.members.erase(it);
  announce(self, "leave", user);
  if_empty_tell_owner(self);
}

/// Removes members of a mirror: one, or all of them (its node is gone).
void remove_remote(room_ptr self, const caf::actor_addr& mirror,
                   std::optional<uint64_t> member) {
  auto& st = self->state;
  auto it = st.mirrors.find(mirror);
  if (it == st.mirrors.end())
    return;
  std::vector<std::string> gone;
  auto& members = it->second.members;
  if (member) {
    if (auto m = members.find(*member); m != members.end()) {
      gone.push_back(m->second);
      members.erase(m);
    }
  } else {
    for (auto& [id, user] : members)
      gone.push_back(user);
    members.clear();
  }
  if (members.empty()) {
    self->demonitor(mirror);
    st.mirrors.erase(it);
    // Its answers to publishes will not come (or no longer matter).
    std::vector<uint64_t> ids;
    for (auto& [id, wait] : st.waits)
      ids.push_back(id);
    for (auto id : ids)
      settle(self, id, mirror);
  }
  for (auto& user : gone)
    announce(self, "leave", user);
  if (!gone.empty())
    if_empty_tell_owner(self);
}

/// Publishes that wait for mirrors get an error when the room ends (moved,
/// stopped or closed): CAF 0.17 would leave their senders waiting for good.
void fail_waits(room_ptr self) {
  for (auto& [id, wait] : self->state.waits)
    wait.promise.deliver(caf::make_error(caf::sec::request_receiver_down));
  self->state.waits.clear();
}

room_actor::behavior_type room_impl(room_ptr self, std::string name,
                                    room_owner owner, context* ctx) {
  self->state.room = std::move(name);
  self->state.owner = std::move(owner);
  self->state.ctx = ctx;
  self->set_down_handler([self](caf::down_msg& dm) {
    count(self);
    trace_in(self, "down", dm.source);
    if (self->state.mirrors.count(dm.source))
      remove_remote(self, dm.source, std::nullopt);
    else
      remove_member(self, dm.source);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    fail_waits(self);
    self->quit(msg.reason);
  });
  return {
      [self](join_atom, session_actor who, std::string& user,
             connection_ref& conn, entry how) {
        count(self);
        auto& st = self->state;
        // Named from the message: the joiner may not be a member yet.
        if (st.ctx->tracing())
          st.ctx->trace("session:" + user, st.me(), "join");
        if (st.find(who.address()) == st.members.end()) {
          announce(self, "join", user);
          self->monitor(who);
          st.members.push_back(local_member{who, user, conn});
        }
        conn.send(greeting(st, user, how));
        // Right behind the welcome: peers may find the new user now.
        if (how == entry::login)
          self->send(st.owner, ready_atom::value, user, who);
        return caf::ok_atom::value;
      },
      [self](join_atom, room_delivery mirror, uint64_t member,
             std::string& user, entry how, uint64_t clock, std::string& node) {
        count(self);
        auto& st = self->state;
        trace_in(self, "join");
        st.ctx->stats.links.received(node);
        st.ctx->stats.links.sent(node); // the reply
        // Ids from now on are above any the joiner's node has seen.
        st.ctx->ids.observe(clock);
        auto& link = st.mirrors[mirror.address()];
        if (!link.handle) {
          link.handle = mirror;
          link.node = node;
          self->monitor(mirror);
        }
        if (!link.members.count(member)) {
          announce(self, "join", user);
          link.members.emplace(member, user);
        }
        // The first frame rides on the reply: it reaches the mirror ahead
        // of every delivery sent after it.
        return greeting(st, user, how);
      },
      [self](leave_atom, const session_actor& who) {
        count(self);
        trace_in(self, "leave", who.address());
        remove_member(self, who.address());
        return caf::ok_atom::value;
      },
      [self](leave_atom, const room_delivery& mirror, uint64_t member) {
        count(self);
        trace_in(self, "leave", mirror.address());
        count_link(self, mirror.address());
        remove_remote(self, mirror.address(), member);
        return caf::ok_atom::value;
      },
      [self](publish_atom, const std::string& from, const std::string& msg,
             uint64_t after) -> caf::result<uint64_t> {
        count(self);
        auto& st = self->state;
        count_link(self,
                   caf::actor_cast<caf::actor_addr>(self->current_sender()));
        st.ctx->ids.observe(after);
        auto id = st.ctx->next_message_id();
        trace_in(self, "publish", {}, id);
        auto f = frame::make(codec::encode(
            codec::chat_message{id, codec::now_ms(), from, "", st.room, msg}));
        st.ctx->stats.broadcasts.fetch_add(1, std::memory_order_relaxed);
        if (st.mirrors.empty()) {
          auto sent = fan_out(self, f);
          trace_deliveries(self, id);
          st.ctx->stats.deliveries.fetch_add(sent, std::memory_order_relaxed);
          return id;
        }
        auto& wait = st.waits[id];
        wait.id = id;
        wait.promise = self->make_response_promise<uint64_t>();
        auto promise = wait.promise;
        auto sent = fan_out(self, f, id, &wait);
        trace_deliveries(self, id);
        st.ctx->stats.deliveries.fetch_add(sent, std::memory_order_relaxed);
        return promise;
      },
      [self](members_atom) {
        count(self);
        trace_in(self, "members");
        return self->state.sorted_names();
      },
      [self](close_room_atom) {
        count(self);
        trace_in(self, "close_room");
        if (!self->state.empty())
          return false;
        fail_waits(self);
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
