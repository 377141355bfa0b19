// The fixture of the hand-over tests (handover_test.cpp): several nodes'
// real registries, rooms, mirrors and sessions in one actor system on CAF's
// test coordinator. Each node has its own context (name, id clock); the
// test plays the node actors: it hands each registry its view of the
// others, and "kills" a node by killing every actor of it (exit_reason::
// kill runs no handler: nothing of the dead node speaks again), as a
// SIGKILL does. What the survivors see is what they see over BASP: down
// messages of the dead node's actors, and a view without it.
#pragma once

#include <memory>
#include <set>

#include "actors/placement.hpp"
#include "deterministic_fixture.hpp"

namespace deterministic {

struct cluster_node {
  std::string name;
  std::unique_ptr<context> ctx;
  registry_actor registry;
  std::vector<client> clients; // its sessions, killed with it
  bool alive = true;
};

struct handover_fixture : deterministic_fixture {
  std::vector<cluster_node> nodes;

  /// Nodes named `names`; the base fixture's registry is the first. Every
  /// node sees every other once the constructor returns.
  explicit handover_fixture(const strings& names) {
    nodes.resize(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto& n = nodes[i];
      n.name = names[i];
      if (i == 0) {
        n.registry = registry; // ctx is the base's
      } else {
        n.ctx = std::make_unique<context>();
        n.ctx->lim = ctx.lim;
        n.registry = spawn_registry(*sys, *n.ctx);
        name(n.registry, "registry@" + n.name);
      }
      auto& c = context_of(i);
      c.node_name = n.name;
      c.node_timeout = std::chrono::seconds(5);
      c.ids.enter_cluster(i);
    }
    name(registry, "registry@" + names[0]);
    sched->run();
    for (std::size_t i = 0; i < nodes.size(); ++i)
      send_view(i);
    sched->run();
  }

  ~handover_fixture() {
    for (std::size_t i = 1; i < nodes.size(); ++i)
      if (nodes[i].alive)
        caf::anon_send_exit(nodes[i].registry, caf::exit_reason::user_shutdown);
    sched->run();
  }

  context& context_of(std::size_t i) { return i == 0 ? ctx : *nodes[i].ctx; }

  std::size_t index(const std::string& node) const {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].name == node)
        return i;
    FAIL("no node " << node);
    return 0;
  }

  /// The live nodes' names, sorted (the views agree).
  strings live() const {
    strings out;
    for (auto& n : nodes)
      if (n.alive)
        out.push_back(n.name);
    std::sort(out.begin(), out.end());
    return out;
  }

  /// A room name that the live nodes place on `node`.
  std::string room_on(const std::string& node, const std::string& prefix) {
    auto view = live();
    for (int k = 0;; ++k) {
      auto room = prefix + std::to_string(k);
      if (owner_of(room, view) == node)
        return room;
    }
  }

  /// Hands node `i`'s registry the view its node actor would send: every
  /// live node but itself. Runs nothing.
  void send_view(std::size_t i) {
    std::vector<node_info> peers;
    for (std::size_t k = 0; k < nodes.size(); ++k)
      if (k != i && nodes[k].alive)
        peers.push_back(node_info{
            nodes[k].name, 1, nodes[k].name + ":1", static_cast<uint64_t>(k),
            caf::actor_cast<registry_peer_actor>(nodes[k].registry)});
    caf::anon_send(nodes[i].registry, view_atom::value, std::move(peers));
  }

  /// A session of node `i`, logged in, its welcome read.
  client login_at(std::size_t i, const std::string& user) {
    auto c = connect_at(i, user, user);
    sched->run();
    auto frames = c.take();
    REQUIRE(frames.size() == 1);
    REQUIRE(frames[0].rfind("welcome " + user + " lobby", 0) == 0);
    return c;
  }

  /// A session of node `i` that has not run yet.
  client connect_at(std::size_t i, const std::string& user,
                    const std::string& label) {
    auto tape = std::make_shared<strings>();
    auto conn = std::make_shared<recording_connection>(tape);
    auto s = spawn_session(*sys, nodes[i].registry, conn, user, context_of(i));
    name(s, label);
    client c{tape, conn, s};
    nodes[i].clients.push_back(c);
    return c;
  }

  /// What the client got since the last call, as one line.
  static std::string on_tape(client& c) {
    std::string out;
    for (auto& f : c.take())
      out += (out.empty() ? "" : ", ") + f;
    return out;
  }

  /// Asks registry `i` while nothing else runs; `on_value` takes the
  /// reply. Returns the error reply.
  template <class F, class... Ts>
  caf::error ask_at(std::size_t i, F on_value, Ts&&... xs) {
    REQUIRE_FALSE(sched->has_job());
    caf::scoped_actor self{*sys};
    auto rh = self->request(nodes[i].registry, caf::infinite,
                            std::forward<Ts>(xs)...);
    sched->run();
    REQUIRE_FALSE(self->mailbox().empty());
    caf::error result;
    rh.receive(on_value, [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The room (or mirror) node `i`'s sessions join as `room`.
  room_actor room_at(std::size_t i, const std::string& room) {
    room_actor result;
    REQUIRE_FALSE(ask_at(
        i, [&](room_actor& r) { result = r; }, join_atom::value, room));
    return result;
  }

  strings members_at(std::size_t i, const std::string& room) {
    strings result;
    REQUIRE_FALSE(ask_at(
        i, [&](strings& xs) { result = std::move(xs); }, members_atom::value,
        room));
    return result;
  }

  /// Whether node `i` finds `user` (a session here or a peer's registry).
  bool finds(std::size_t i, const std::string& user) {
    return !ask_at(
        i, [](session_actor&, connection_ref&, registry_peer_actor&) {},
        lookup_atom::value, user);
  }

  /// The rooms or mirrors of node `i` named `rooms`, to kill with it.
  std::vector<caf::actor> rooms_of(std::size_t i, const strings& rooms) {
    std::vector<caf::actor> out;
    for (auto& r : rooms)
      out.push_back(caf::actor_cast<caf::actor>(room_at(i, r)));
    return out;
  }

  /// Node `i` dies: its registry, its sessions and `rooms` (its rooms and
  /// mirrors) die at once, without running a handler. Runs nothing.
  void kill(std::size_t i, std::vector<caf::actor> rooms) {
    auto victims = std::move(rooms);
    victims.push_back(caf::actor_cast<caf::actor>(nodes[i].registry));
    for (auto& c : nodes[i].clients)
      victims.push_back(caf::actor_cast<caf::actor>(c.session));
    for (auto& v : victims)
      caf::anon_send_exit(v, caf::exit_reason::kill);
    nodes[i].alive = false;
  }

  /// Every survivor gets its view without the dead. Runs nothing.
  void send_views() {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].alive)
        send_view(i);
  }

  /// Runs everything, and two seconds of timers (a join asked again
  /// every 100 ms), less than the node timeout: no request times out.
  void run_all() {
    sched->run();
    for (int step = 0; step < 20; ++step) {
      sched->advance_time(std::chrono::milliseconds(100));
      sched->run();
    }
  }
};

} // namespace deterministic
