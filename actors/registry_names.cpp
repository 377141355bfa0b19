// The registry's names: logins claimed across the cluster, lookups and
// private messages to sessions of other nodes. See name_table.hpp for why
// exactly one of two racing logins wins.
#include <chrono>

#include "actors/log.hpp"
#include "actors/patient_request.hpp"
#include "actors/registry_state.hpp"

namespace chat {

namespace {

int64_t wall_now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
      .count();
}

template <class... Ts> void to_peers(registry_ptr self, Ts&&... xs) {
  for (auto& [name, peer] : self->state.peers) {
    self->state.ctx->stats.links.sent(name);
    self->send(peer.registry, xs...);
  }
}

/// The login won: the session holds its name.
void admit(registry_ptr self, const std::string& user, const session_actor& who,
           const connection_ref& conn, const name_claim& c) {
  auto& st = self->state;
  st.names.confirm(user, c);
  st.sessions[user] = registry_state::login{who, conn, c, false, {}};
  st.names_by_addr.emplace(who.address(), user);
  self->monitor(who);
  st.ctx->stats.sessions.fetch_add(1);
}

/// A peer answered the claim (or can no longer answer: it left the view).
void on_answer(registry_ptr self, const std::string& user, const name_claim& c,
               const std::string& peer, bool granted) {
  auto& st = self->state;
  auto it = st.claiming.find(user);
  if (it == st.claiming.end() || !(it->second.claim == c))
    return; // settled already
  auto& claim = it->second;
  if (!granted) {
    st.names.release(user, c);
    to_peers(self, release_atom::value, user, c);
    claim.promise.deliver(make_error(chat_errc::name_taken));
    st.claiming.erase(it);
    return;
  }
  claim.waiting_on.erase(peer);
  if (!claim.waiting_on.empty())
    return;
  admit(self, user, claim.session, claim.conn, c);
  to_peers(self, claimed_atom::value, user, c);
  claim.promise.deliver(caf::ok_atom::value);
  st.claiming.erase(it);
}

void ask_peer(registry_ptr self, const std::string& user, const name_claim& c,
              const std::string& peer, const registry_peer_actor& registry) {
  self->state.ctx->stats.links.sent(peer);
  self->request(registry, self->state.ctx->peer_patience(), claim_atom::value,
                user, c)
      .then(
          [self, user, c, peer](bool granted) {
            end_request_timeout(self);
            self->state.ctx->stats.links.received(peer);
            on_answer(self, user, c, peer, granted);
          },
          [self, user, c, peer](caf::error&) {
            end_request_timeout(self);
            // A peer that died left the view, and names_on_view answered
            // for it: its lost request means nothing. One still in the view
            // that stays silent this long may hold the name: refuse, never
            // guess.
            auto& st = self->state;
            auto it = st.claiming.find(user);
            if (it != st.claiming.end() && it->second.waiting_on.count(peer))
              on_answer(self, user, c, peer, false);
          });
}

} // namespace

caf::result<caf::ok_atom> log_in(registry_ptr self, const std::string& user,
                                 const session_actor& who,
                                 const connection_ref& conn) {
  auto& st = self->state;
  name_claim c{wall_now_ns(), st.node()};
  if (st.sessions.count(user) || st.claiming.count(user) ||
      !st.names.claim_own(user, c))
    return make_error(chat_errc::name_taken);
  if (st.alone()) {
    admit(self, user, who, conn, c);
    return caf::ok_atom::value;
  }
  auto& claim = st.claiming[user];
  claim.promise = self->make_response_promise<caf::ok_atom>();
  claim.session = who;
  claim.conn = conn;
  claim.claim = c;
  for (auto& [name, peer] : st.peers)
    claim.waiting_on.insert(name);
  auto promise = claim.promise;
  for (auto& [name, peer] : st.peers)
    ask_peer(self, user, c, name, peer.registry);
  return promise;
}

void log_out(registry_ptr self, const caf::actor_addr& session) {
  auto& st = self->state;
  auto it = st.names_by_addr.find(session);
  if (it == st.names_by_addr.end())
    return;
  auto user = it->second;
  st.names_by_addr.erase(it);
  auto login = st.sessions.find(user);
  if (login == st.sessions.end())
    return;
  auto claim = login->second.claim;
  auto waiting = std::move(login->second.waiting);
  st.sessions.erase(login);
  st.names.release(user, claim);
  to_peers(self, release_atom::value, user, claim);
  st.ctx->stats.sessions.fetch_sub(1);
  for (auto& then : waiting)
    then(false);
}

void on_ready(registry_ptr self, const std::string& user,
              const session_actor& who) {
  auto& st = self->state;
  auto it = st.sessions.find(user);
  if (it == st.sessions.end() || it->second.session != who)
    return;
  it->second.welcomed = true;
  for (auto& then : std::exchange(it->second.waiting, {}))
    then(true);
}

caf::result<session_actor, connection_ref, registry_peer_actor>
look_up(registry_ptr self, const std::string& user) {
  auto& st = self->state;
  if (auto it = st.sessions.find(user); it != st.sessions.end()) {
    auto& login = it->second;
    if (login.welcomed)
      return {login.session, login.conn, registry_peer_actor{}};
    // Its welcome is on the way: a private message must not overtake it,
    // and must not fail because the client was quicker than the registry.
    auto promise = self->make_response_promise<session_actor, connection_ref,
                                               registry_peer_actor>();
    login.waiting.push_back([promise, session = login.session,
                             conn = login.conn](bool welcomed) mutable {
      if (welcomed)
        promise.deliver(session, conn, registry_peer_actor{});
      else
        promise.deliver(make_error(chat_errc::unknown_user));
    });
    return promise;
  }
  // Held (or being claimed) on another node: that node delivers it.
  if (auto h = st.names.find(user); h && h->claim.node != st.node())
    if (auto peer = st.peers.find(h->claim.node); peer != st.peers.end()) {
      // The session sends its frame there now, and hears back.
      st.ctx->stats.links.sent(peer->first);
      st.ctx->stats.links.received(peer->first);
      return {session_actor{}, connection_ref{}, peer->second.registry};
    }
  return make_error(chat_errc::unknown_user);
}

caf::result<bool> deliver_private(registry_ptr self, const std::string& user,
                                  const frame& f, uint64_t id) {
  auto& st = self->state;
  st.ctx->ids.observe(id);
  auto it = st.sessions.find(user);
  if (it == st.sessions.end())
    return false;
  auto& login = it->second;
  auto deliver = [ctx = st.ctx, conn = login.conn, f]() {
    bool sent = conn.send(f);
    if (sent)
      ctx->stats.deliveries.fetch_add(1, std::memory_order_relaxed);
    return sent;
  };
  if (login.welcomed)
    return deliver();
  auto promise = self->make_response_promise<bool>();
  login.waiting.push_back([promise, deliver](bool welcomed) mutable {
    promise.deliver(welcomed && deliver());
  });
  return promise;
}

bool peer_claims(registry_ptr self, const std::string& user,
                 const name_claim& c) {
  auto& st = self->state;
  // A session of ours holds it for good, whatever the claim says.
  if (st.sessions.count(user))
    return false;
  return st.names.claim(user, c);
}

void merge_names(registry_ptr self, const std::vector<name_entry>& entries) {
  auto& st = self->state;
  st.names.merge(entries,
                 [self](const std::string& user, const name_claim& loser) {
                   auto& st = self->state;
                   auto it = st.sessions.find(user);
                   if (loser.node != st.node() || it == st.sessions.end() ||
                       !(it->second.claim == loser))
                     return; // another node's session: its node tells it
                   log::info("'" + user + "' is logged in on node " +
                             st.names.find(user)->claim.node +
                             " too, since before: closing this node's session");
                   self->send(it->second.session, name_lost_atom::value);
                 });
}

void names_on_view(registry_ptr self, const std::set<std::string>& died,
                   const std::set<std::string>& joined) {
  auto& st = self->state;
  for (auto& node : died)
    st.names.drop_node(node);
  // Snapshot: answering may settle (and erase) claims.
  std::vector<std::pair<std::string, name_claim>> under_way;
  for (auto& [user, claim] : st.claiming)
    under_way.emplace_back(user, claim.claim);
  for (auto& [user, c] : under_way) {
    for (auto& node : joined) {
      auto it = st.claiming.find(user);
      auto peer = st.peers.find(node);
      if (it == st.claiming.end() || peer == st.peers.end())
        continue;
      it->second.waiting_on.insert(node);
      ask_peer(self, user, c, node, peer->second.registry);
    }
    for (auto& node : died)
      on_answer(self, user, c, node, true); // nobody there holds it now
  }
  if (joined.empty())
    return;
  auto mine = st.names.held_by(st.node());
  for (auto& node : joined)
    if (auto peer = st.peers.find(node); peer != st.peers.end()) {
      st.ctx->stats.links.sent(node);
      self->send(peer->second.registry, sync_atom::value, mine);
    }
}

} // namespace chat
