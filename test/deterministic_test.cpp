// Races between the real registry, rooms and sessions, replayed message by
// message on CAF 0.17's test coordinator: nothing runs until the test says
// which actor handles its next message, so each race is run in both orders
// and every step is asserted. No sockets: sessions write to a recording fake.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "actors/context.hpp"
#include "actors/protocol.hpp"
#include "actors/registry.hpp"
#include "actors/session.hpp"

using namespace chat;

namespace {

using json = nlohmann::json;
using strings = std::vector<std::string>;

std::string join_names(const json& names) {
  std::string s = "[";
  for (const auto& n : names) {
    if (s.size() > 1)
      s += ",";
    s += n.get<std::string>();
  }
  return s + "]";
}

/// One server frame in a short, readable form, e.g. `welcome bob lobby
/// [alice,bob]`, `presence join bob dev`, `message alice@dev: hi`,
/// `message bob->alice: psst`, `error unknown_user`.
std::string summarize(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return text;
  auto type = j.value("type", "");
  if (type == "welcome")
    return "welcome " + j.value("user", "") + " " + j.value("room", "") + " " +
           join_names(j["users"]);
  if (type == "presence") {
    if (j.value("event", "") == "reset")
      return "presence reset " + j.value("room", "") + " " +
             join_names(j["users"]);
    return "presence " + j.value("event", "") + " " + j.value("user", "") +
           " " + j.value("room", "");
  }
  if (type == "message") {
    auto to = j.value("to_user", "");
    if (to.empty())
      return "message " + j.value("from_user", "") + "@" + j.value("room", "") +
             ": " + j.value("msg", "");
    return "message " + j.value("from_user", "") + "->" + to + ": " +
           j.value("msg", "");
  }
  if (type == "error")
    return "error " + j.value("code", "");
  if (type == "users")
    return "users " + j.value("room", "") + " " + join_names(j["users"]);
  return text;
}

/// The fake connection: writes every frame and the close, in call order, to
/// a tape that outlives it (so a test can destroy the connection, as the
/// network layer does after a read error, and still read what it got).
/// Everything runs on the test thread: no lock.
class recording_connection : public outbound {
public:
  explicit recording_connection(std::shared_ptr<strings> tape)
      : tape_(std::move(tape)) {}
  void send(frame f) override { tape_->push_back(summarize(f.str())); }
  void close(uint16_t code, std::string) override {
    tape_->push_back("close " + std::to_string(code));
  }

private:
  std::shared_ptr<strings> tape_;
};

struct client {
  std::shared_ptr<strings> tape;
  std::shared_ptr<recording_connection> conn; // sessions hold weak_ptrs
  session_actor session;

  /// What the connection got since the last call.
  strings take() { return std::exchange(*tape, {}); }
};

/// A real actor system on the test coordinator, the real registry, and
/// helpers that step one actor by one message while checking which message
/// that is. Actors are named for the checks: "registry", "lobby", "alice"...
struct deterministic_fixture {
  context ctx; // outlives the actor system
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  registry_actor registry;
  std::map<caf::actor_id, std::string> names;

  deterministic_fixture() {
    ctx.lim.rate_per_second = 1e6;
    ctx.lim.rate_burst = 1e6;
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    registry = spawn_registry(*sys, ctx);
    name(registry, "registry");
    sched->run();
  }

  ~deterministic_fixture() {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    sched->run();
    registry = nullptr;
  }

  // -- naming ----------------------------------------------------------------

  template <class Handle> void name(const Handle& h, std::string n) {
    names[h.id()] = std::move(n);
  }

  std::string name_of(caf::actor_id id) const {
    auto it = names.find(id);
    return it != names.end() ? it->second : "#" + std::to_string(id);
  }

  // -- clients ---------------------------------------------------------------

  /// Spawns a session for `user`; it does not run yet.
  client connect(const std::string& user, const std::string& label) {
    auto tape = std::make_shared<strings>();
    auto conn = std::make_shared<recording_connection>(tape);
    auto s = spawn_session(*sys, registry, conn, user, ctx);
    name(s, label);
    return {tape, conn, s};
  }

  /// A session that has logged in and entered the lobby.
  client login(const std::string& user) {
    auto c = connect(user, user);
    sched->run();
    auto frames = c.take();
    REQUIRE(frames.size() == 1);
    REQUIRE(frames[0].rfind("welcome " + user + " lobby", 0) == 0);
    return c;
  }

  void text(const client& c, const json& j) {
    caf::anon_send(c.session, ws_text_atom::value, j.dump(), int64_t{0});
  }

  void say(const client& c, const std::string& msg) {
    text(c, {{"type", "say"}, {"msg", msg}});
  }

  void whisper(const client& c, const std::string& to, const std::string& msg) {
    text(c, {{"type", "whisper"}, {"to", to}, {"msg", msg}});
  }

  void join(const client& c, const std::string& room) {
    text(c, {{"type", "join"}, {"room", room}});
  }

  void connection_down(const client& c) {
    caf::anon_send(c.session, ws_down_atom::value, std::string{"reset"});
  }

  // -- mailboxes -------------------------------------------------------------

  template <class Handle>
  static caf::scheduled_actor* actor_of(const Handle& h) {
    auto ptr = dynamic_cast<caf::scheduled_actor*>(
        caf::actor_cast<caf::abstract_actor*>(h));
    REQUIRE(ptr != nullptr);
    return ptr;
  }

  /// A mailbox element as the checks spell it: what, then `<- sender`.
  /// Replies read `reply` (or `error`), other messages their atom.
  std::string describe(caf::mailbox_element& x) const {
    auto& msg = x.content();
    std::string what;
    std::string from = x.sender ? name_of(x.sender->id()) : "";
    if (x.mid.is_response()) {
      what = msg.match_elements<caf::error>() ? "error" : "reply";
    } else if (msg.match_elements<caf::down_msg>()) {
      what = "down_msg";
      from = name_of(msg.get_as<caf::down_msg>(0).source.id());
    } else if (msg.match_elements<caf::exit_msg>()) {
      what = "exit_msg";
    } else if (msg.size() > 0 && msg.match_element<caf::atom_value>(0)) {
      what = caf::to_string(msg.get_as<caf::atom_value>(0));
    } else {
      what = caf::to_string(msg);
    }
    if (!from.empty())
      what += " <- " + from;
    if (x.mid.is_response() && msg.match_elements<caf::error>())
      what += ": " + render(msg.get_as<caf::error>(0));
    return what;
  }

  std::string render(const caf::error& err) const {
    if (is(err, chat_errc::name_taken))
      return "name_taken";
    if (is(err, chat_errc::unknown_user))
      return "unknown_user";
    return sys->render(err);
  }

  /// Appends the messages of one mailbox queue (without those an awaiting
  /// actor skipped). Walks the list by hand: `peek_all` casts the list's end
  /// sentinel to a message, which UBSan's vptr check crashes on.
  template <class Queue>
  static void collect(Queue& q, std::vector<caf::mailbox_element*>& out) {
    auto n = q.total_task_size(); // one per message in CAF's mailbox
    auto* x = q.peek();
    for (std::size_t i = 0; i < n && x != nullptr; ++i) {
      out.push_back(x);
      x = i + 1 < n ? static_cast<caf::mailbox_element*>(x->next) : nullptr;
    }
  }

  static std::vector<caf::mailbox_element*>
  elements(caf::scheduled_actor* self) {
    std::vector<caf::mailbox_element*> result;
    // An idle actor's inbox is blocked (the next message reschedules it) and
    // a dead one's is closed: fetching from either would break CAF's state.
    auto& mb = self->mailbox();
    if (mb.blocked() || mb.closed())
      return result;
    mb.fetch_more();
    collect(self->get_urgent_queue(), result);
    collect(self->get_normal_queue(), result);
    return result;
  }

  /// Every message waiting in the mailbox, in order (without those that an
  /// awaiting actor already skipped).
  template <class Handle> strings mailbox(const Handle& h) const {
    strings result;
    for (auto* x : elements(actor_of(h)))
      result.push_back(describe(*x));
    return result;
  }

  /// The first value of the first reply of type `T` waiting for `c`.
  template <class T> T reply_value(const client& c) const {
    for (auto* x : elements(actor_of(c.session)))
      if (x->mid.is_response() && x->content().match_element<T>(0))
        return x->content().get_as<T>(0);
    FAIL("no such reply in " << name_of(c.session.id()) << "'s mailbox");
    return T{};
  }

  /// Whether the actor has ended (and cleaned up: monitors were told).
  template <class Handle> static bool terminated(const Handle& h) {
    return caf::actor_cast<caf::abstract_actor*>(h)->getf(
        caf::abstract_actor::is_cleaned_up_flag);
  }

  /// Whether the actor waits for one response (`request(...).await`): then
  /// it handles nothing but that response and holds back everything else.
  static bool awaiting(caf::scheduled_actor* self) {
    return !self->bhvr_stack().empty() &&
           &self->current_behavior() != &self->bhvr_stack().back();
  }

  /// The message the actor handles when it runs next, and where it is in
  /// the mailbox (npos: none).
  std::pair<std::string, std::size_t>
  next_handled(caf::scheduled_actor* self) const {
    static constexpr auto none = std::string::npos;
    auto xs = elements(self);
    if (self->bhvr_stack().empty()) {
      if (xs.empty())
        return {"(init)", none};
      return {"(init) + " + describe(*xs.front()), 0};
    }
    if (awaiting(self)) {
      for (std::size_t i = 0; i < xs.size(); ++i)
        if (xs[i]->mid.is_response())
          return {describe(*xs[i]), i};
      return {"(nothing: awaiting a response)", none};
    }
    if (xs.empty())
      return {"(nothing)", none};
    return {describe(*xs.front()), 0};
  }

  std::string jobs() const {
    std::string result;
    for (auto* job : sched->jobs) {
      auto* a = dynamic_cast<caf::abstract_actor*>(job);
      result += (a ? name_of(a->id()) : "?") + " ";
    }
    return result;
  }

  /// Runs actor `h` for exactly one message, after checking it is `what`.
  template <class Handle> void step(const Handle& h, const std::string& what) {
    INFO("step: " << name_of(h.id()) << " handles " << what
                  << "; actors with work: " << jobs());
    REQUIRE(sched->prioritize(h));
    auto* self = actor_of(h);
    auto before = elements(self);
    auto [next, index] = next_handled(self);
    REQUIRE(next == what);
    sched->run_once();
    // It took exactly that one message: the others still wait, unless it
    // ended, or skipped the ones ahead (those wait in a hidden cache).
    if (index != 0 || terminated(h))
      return;
    auto after = elements(self);
    for (std::size_t i = 1; i < before.size(); ++i)
      REQUIRE(std::find(after.begin(), after.end(), before[i]) != after.end());
  }

  void step(const client& c, const std::string& what) { step(c.session, what); }

  strings mailbox(const client& c) const { return mailbox(c.session); }

  // -- queries ---------------------------------------------------------------

  /// Asks the registry while nothing else runs (so that a query never
  /// reorders a race); `on_value` takes the reply. Returns the error reply.
  template <class F, class... Ts> caf::error ask(F on_value, Ts&&... xs) {
    REQUIRE_FALSE(sched->has_job());
    caf::scoped_actor self{*sys};
    auto rh = self->request(registry, caf::infinite, std::forward<Ts>(xs)...);
    sched->run();
    REQUIRE_FALSE(self->mailbox().empty()); // else receive would block
    caf::error result;
    rh.receive(on_value, [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  room_actor room(const std::string& n) {
    room_actor result;
    auto err = ask([&](room_actor& r) { result = r; }, join_atom::value, n);
    REQUIRE_FALSE(err);
    name(result, n);
    return result;
  }

  strings members(const std::string& room_name) {
    strings result;
    auto err = ask([&](strings& xs) { result = std::move(xs); },
                   members_atom::value, room_name);
    REQUIRE_FALSE(err);
    return result;
  }

  caf::expected<session_actor> lookup(const std::string& user) {
    session_actor result;
    auto err = ask([&](session_actor& s, connection_ref&) { result = s; },
                   lookup_atom::value, user);
    if (err)
      return err;
    return result;
  }
};

} // namespace

// -- 1. a logout racing a private message -------------------------------------

TEST_CASE_METHOD(deterministic_fixture,
                 "a whisper racing its recipient's logout is delivered while "
                 "the registry still lists her and refused once it does not",
                 "[actors][deterministic]") {
  auto alice = login("alice");
  auto bob = login("bob");
  auto lobby = room("lobby");
  CHECK(alice.take() == strings{"presence join bob lobby"});
  auto deliveries = ctx.stats.deliveries.load();
  // Whatever the order: alice's name ends up free, bob alone in the lobby.
  auto after_the_race = [&] {
    REQUIRE_FALSE(sched->has_job());
    auto gone = lookup("alice");
    REQUIRE_FALSE(gone);
    CHECK(is(gone.error(), chat_errc::unknown_user));
    CHECK(ctx.stats.sessions.load() == 1);
    CHECK(members("lobby") == strings{"bob"});
  };
  // At once: bob whispers to alice, and alice's connection goes down.
  whisper(bob, "alice", "psst");
  connection_down(alice);
  SECTION("the lookup first, while alice's connection object still exists: "
          "it takes the frame after its ws_down was sent") {
    step(bob, "ws_text");            // lookup -> registry (bob awaits)
    step(registry, "lookup <- bob"); // alice is listed: session, connection
    step(bob, "reply <- registry");  // frame -> both connections, directly
    CHECK(alice.take() == strings{"message bob->alice: psst"});
    CHECK(bob.take() == strings{"message bob->alice: psst"});
    step(alice, "ws_down"); // her session ends
    CHECK(terminated(alice.session));
    step(registry, "down_msg <- alice");
    step(lobby, "down_msg <- alice"); // leave -> bob
    after_the_race();
    CHECK(alice.take().empty()); // not even a close: the client is gone
    CHECK(bob.take() == strings{"presence leave alice lobby"});
    CHECK(ctx.stats.privates.load() == 1);
    CHECK(ctx.stats.deliveries.load() == deliveries + 2);
  }
  SECTION("the lookup first, after alice's session ended and her connection "
          "was destroyed: the frame is dropped, bob still gets his echo") {
    step(bob, "ws_text");   // lookup -> registry
    step(alice, "ws_down"); // her session ends: down -> registry, lobby
    alice.conn.reset();     // as the network layer frees it after the error
    CHECK(mailbox(registry) == strings{"lookup <- bob", "down_msg <- alice"});
    step(registry, "lookup <- bob"); // still listed: a dead connection ref
    step(bob, "reply <- registry");  // alice's copy is dropped
    CHECK(bob.take() == strings{"message bob->alice: psst"});
    step(registry, "down_msg <- alice");
    step(lobby, "down_msg <- alice");
    after_the_race();
    CHECK(alice.take().empty());
    CHECK(bob.take() == strings{"presence leave alice lobby"});
    CHECK(ctx.stats.privates.load() == 1);
    CHECK(ctx.stats.deliveries.load() == deliveries + 1);
  }
  SECTION("the lookup first, but the lobby announces alice's leave before "
          "the registry answers: bob sees her leave, then his echo") {
    step(bob, "ws_text");   // lookup -> registry
    step(alice, "ws_down"); // her session ends: down -> registry, lobby
    step(lobby, "down_msg <- alice");
    CHECK(bob.take() == strings{"presence leave alice lobby"});
    CHECK(mailbox(registry) == strings{"lookup <- bob", "down_msg <- alice"});
    step(registry, "lookup <- bob"); // still listed
    step(bob, "reply <- registry");  // frame -> both connections
    step(registry, "down_msg <- alice");
    after_the_race();
    // Her connection object still existed: it took the frame after her
    // leave was announced (a real one drops it: its read loop has ended).
    CHECK(alice.take() == strings{"message bob->alice: psst"});
    CHECK(bob.take() == strings{"message bob->alice: psst"});
    CHECK(ctx.stats.privates.load() == 1);
  }
  SECTION("the registry sees alice's session end first: bob hears "
          "unknown_user") {
    step(alice, "ws_down"); // her session ends: down -> registry, lobby
    step(bob, "ws_text");   // lookup -> registry, behind the down_msg
    CHECK(mailbox(registry) == strings{"down_msg <- alice", "lookup <- bob"});
    step(registry, "down_msg <- alice"); // alice's name is free
    step(registry, "lookup <- bob");     // unknown_user
    step(bob, "error <- registry: unknown_user");
    CHECK(bob.take() == strings{"error unknown_user"});
    step(lobby, "down_msg <- alice");
    after_the_race();
    CHECK(alice.take().empty());
    CHECK(bob.take() == strings{"presence leave alice lobby"});
    CHECK(ctx.stats.privates.load() == 0);
    CHECK(ctx.stats.deliveries.load() == deliveries);
  }
}

// -- 2. two logins racing for one name ----------------------------------------

TEST_CASE_METHOD(deterministic_fixture,
                 "of two sessions logging in as one name, the one whose login "
                 "the registry handles first wins",
                 "[actors][deterministic]") {
  auto lobby = room("lobby");
  // Two connections ask for "carol" at once; neither session has run yet.
  auto first = connect("carol", "carol#1");
  auto second = connect("carol", "carol#2");
  auto race = [&](client& winner, client& loser) {
    auto w = name_of(winner.session.id());
    auto l = name_of(loser.session.id());
    CHECK(mailbox(registry) == strings{"login <- " + w, "login <- " + l});
    step(registry, "login <- " + w); // ok: the name is taken
    step(registry, "login <- " + l); // name_taken
    step(loser,
         "error <- registry: name_taken"); // error frame, close 1008, ends
    CHECK(loser.take() == strings{"error name_taken", "close 1008"});
    CHECK(terminated(loser.session));
    step(winner, "reply <- registry"); // join lobby -> registry
    step(registry, "join <- " + w);
    step(winner, "reply <- registry"); // join -> lobby
    step(lobby, "join <- " + w);       // welcome -> winner's connection, then
                                       // ready -> registry
    CHECK(winner.take() == strings{"welcome carol lobby [carol]"});
    CHECK(mailbox(registry) == strings{"ready <- lobby"});
    step(winner, "reply <- lobby");
    step(registry, "ready <- lobby"); // lookups find carol from now on
    REQUIRE_FALSE(sched->has_job());
    CHECK(winner.take().empty());
    CHECK(loser.take().empty());
    auto carol = lookup("carol");
    REQUIRE(carol);
    CHECK(*carol == winner.session);
    CHECK(ctx.stats.sessions.load() == 1);
    CHECK(members("lobby") == strings{"carol"});
  };
  SECTION("the first session's login reaches the registry first") {
    step(first, "(init)"); // login -> registry
    step(second, "(init)");
    race(first, second);
  }
  SECTION("the second session's login reaches the registry first") {
    step(second, "(init)");
    step(first, "(init)");
    race(second, first);
  }
}

// -- 3. a join racing a broadcast ---------------------------------------------

TEST_CASE_METHOD(deterministic_fixture,
                 "a message said while someone joins the room reaches the "
                 "joiner only if the room handles the join first",
                 "[actors][deterministic]") {
  auto alice = login("alice");
  auto bob = login("bob");
  join(alice, "dev");
  sched->run();
  auto lobby = room("lobby");
  auto dev = room("dev");
  CHECK(alice.take() ==
        strings{"presence join bob lobby", "presence join alice dev"});
  CHECK(bob.take() == strings{"presence leave alice lobby"});
  // At once: alice says "hi" in dev, and bob asks to join dev.
  say(alice, "hi");
  join(bob, "dev");
  // Bob's way to dev, awaiting each reply: leave the lobby, ask the registry
  // for dev, send the join to dev.
  // Whichever order: both end up in dev, and nothing else arrives.
  auto after_the_race = [&] {
    REQUIRE_FALSE(sched->has_job());
    CHECK(alice.take().empty());
    CHECK(bob.take().empty());
    CHECK(members("dev") == strings{"alice", "bob"});
    CHECK(members("lobby").empty());
  };
  auto bob_heads_for_dev = [&] {
    step(bob, "ws_text");                  // leave -> lobby
    step(lobby, "leave <- bob");           // empty: room_empty -> registry
    step(bob, "reply <- lobby");           // join dev -> registry
    step(registry, "room_empty <- lobby"); // the lobby never closes
    step(registry, "join <- bob");
    step(bob, "reply <- registry"); // join -> dev
  };
  SECTION("the room handles the publish first: bob does not get it") {
    step(alice, "ws_text"); // publish -> dev (alice awaits the id)
    bob_heads_for_dev();
    CHECK(mailbox(dev) == strings{"publish <- alice", "join <- bob"});
    step(dev, "publish <- alice");
    CHECK(alice.take() == strings{"message alice@dev: hi"});
    CHECK(bob.take().empty());
    step(dev, "join <- bob");
    CHECK(alice.take() == strings{"presence join bob dev"});
    CHECK(bob.take() == strings{"presence join bob dev"}); // his ack
    step(alice, "reply <- dev");
    step(bob, "reply <- dev");
    after_the_race();
  }
  SECTION("the room handles the join first: bob gets it after his join ack") {
    bob_heads_for_dev();
    step(alice, "ws_text"); // publish -> dev, behind bob's join
    CHECK(mailbox(dev) == strings{"join <- bob", "publish <- alice"});
    step(dev, "join <- bob");
    CHECK(alice.take() == strings{"presence join bob dev"});
    CHECK(bob.take() == strings{"presence join bob dev"}); // his ack
    step(dev, "publish <- alice");
    CHECK(alice.take() == strings{"message alice@dev: hi"});
    CHECK(bob.take() == strings{"message alice@dev: hi"});
    step(bob, "reply <- dev"); // a member of dev from now on
    step(alice, "reply <- dev");
    after_the_race();
  }
}

// -- 4. an emptied room closing while a join is in flight ---------------------

TEST_CASE_METHOD(deterministic_fixture,
                 "a join racing the close of its emptied room ends in a live "
                 "room",
                 "[actors][deterministic]") {
  auto alice = login("alice");
  auto bob = login("bob");
  join(alice, "dev");
  sched->run();
  auto lobby = room("lobby");
  auto dev = room("dev");
  alice.take();
  bob.take();
  CHECK(ctx.stats.rooms.load() == 2);
  // At once: alice, dev's only member, disconnects, and bob joins dev.
  connection_down(alice);
  join(bob, "dev");
  // Either way bob is in a live dev, alone, and can talk there.
  auto after_the_race = [&] {
    REQUIRE_FALSE(sched->has_job());
    CHECK(members("dev") == strings{"bob"});
    CHECK(ctx.stats.rooms.load() == 2);
    say(bob, "anyone?");
    sched->run();
    CHECK(bob.take() == strings{"message bob@dev: anyone?"});
  };
  auto bob_leaves_lobby = [&] {
    step(bob, "ws_text");        // leave -> lobby
    step(lobby, "leave <- bob"); // empty: room_empty -> registry
    step(bob, "reply <- lobby"); // join dev -> registry
  };
  SECTION("the room closes first: bob's join bounces and he asks again") {
    step(alice, "ws_down");         // down -> registry, dev
    step(dev, "down_msg <- alice"); // empty: room_empty -> registry
    step(registry, "down_msg <- alice");
    step(registry, "room_empty <- dev"); // close_room -> dev
    bob_leaves_lobby();
    step(registry, "room_empty <- lobby");
    step(registry, "join <- bob");  // dev is still listed: the old one
    step(bob, "reply <- registry"); // join -> old dev
    CHECK(mailbox(dev) == strings{"close_room <- registry", "join <- bob"});
    step(dev, "close_room <- registry"); // empty: it ends; the join bounces
    CHECK(terminated(dev));
    CHECK(bob.take().empty());
    CHECK(mailbox(registry) == strings{"reply <- dev", "down_msg <- dev"});
    step(registry, "reply <- dev");    // closed: forgets dev
    step(registry, "down_msg <- dev"); // a normal end: no restart
    step(bob, "error: system_error(request_receiver_down)"); // asks again
    step(registry, "join <- bob");                           // spawns a new dev
    auto new_dev = reply_value<room_actor>(bob);
    name(new_dev, "new dev");
    CHECK(new_dev != dev);
    step(bob, "reply <- registry");        // join -> new dev
    step(new_dev, "(init) + join <- bob"); // ack -> bob
    CHECK(bob.take() == strings{"presence join bob dev"});
    step(bob, "reply <- new dev");
    CHECK(room("dev") == new_dev);
    after_the_race();
  }
  SECTION("the join reaches the room before the close: the room stays") {
    step(alice, "ws_down"); // down -> registry, dev
    bob_leaves_lobby();
    step(registry, "down_msg <- alice");
    step(registry, "room_empty <- lobby");
    step(registry, "join <- bob");
    step(bob, "reply <- registry"); // join -> dev
    CHECK(mailbox(dev) == strings{"down_msg <- alice", "join <- bob"});
    step(dev, "down_msg <- alice"); // empty: room_empty -> registry
    step(dev, "join <- bob");       // a member again
    CHECK(bob.take() == strings{"presence join bob dev"}); // his ack
    step(registry, "room_empty <- dev");                   // close_room -> dev
    step(dev, "close_room <- registry");                   // not empty: false
    step(registry, "reply <- dev"); // not closed: dev stays listed
    step(bob, "reply <- dev");
    CHECK_FALSE(terminated(dev));
    CHECK(room("dev") == dev);
    after_the_race();
  }
}

// -- races these tests found, fixed since ------------------------------------
// Each replays the order in which the server once broke PROTOCOL.md.

TEST_CASE_METHOD(deterministic_fixture,
                 "a whisper to a user not yet welcomed is refused as "
                 "unknown_user, so her welcome stays her first frame",
                 "[actors][deterministic]") {
  auto alice = login("alice");
  auto lobby = room("lobby");
  auto carol = connect("carol", "carol");
  step(carol, "(init)");               // login -> registry
  step(registry, "login <- carol");    // carol's name is taken from now on
  step(carol, "reply <- registry");    // join lobby -> registry
  whisper(alice, "carol", "welcome!"); // alice saw nothing yet, but guesses
  step(alice, "ws_text");              // lookup -> registry
  step(registry, "join <- carol");
  // Carol has no welcome yet: the lookup must not hand out her connection.
  step(registry, "lookup <- alice");
  sched->run();
  // PROTOCOL.md: `welcome` is the first frame after a successful login.
  CHECK(carol.take() == strings{"welcome carol lobby [alice,carol]"});
  auto got = alice.take();
  CHECK(std::count(got.begin(), got.end(), "error unknown_user") == 1);
  CHECK(std::count(got.begin(), got.end(), "message alice->carol: welcome!") ==
        0);
  // Once welcomed, she is found.
  whisper(alice, "carol", "now?");
  sched->run();
  CHECK(carol.take() == strings{"message alice->carol: now?"});
}

TEST_CASE_METHOD(deterministic_fixture,
                 "a users request for a room that closes meanwhile is "
                 "answered",
                 "[actors][deterministic]") {
  auto alice = login("alice");
  auto bob = login("bob");
  join(alice, "dev");
  sched->run();
  auto lobby = room("lobby");
  auto dev = room("dev");
  alice.take();
  bob.take();
  // At once: alice goes back to the lobby (dev empties), and bob asks who is
  // in dev.
  join(alice, "lobby");
  text(bob, {{"type", "users"}, {"room", "dev"}});
  step(alice, "ws_text");      // leave -> dev
  step(dev, "leave <- alice"); // empty: room_empty -> registry
  step(bob, "ws_text");        // members dev -> registry
  CHECK(mailbox(registry) == strings{"room_empty <- dev", "members <- bob"});
  step(registry, "room_empty <- dev"); // close_room -> dev
  step(registry, "members <- bob");    // delegated to dev, still listed
  CHECK(mailbox(dev) == strings{"close_room <- registry", "members <- bob"});
  step(dev, "close_room <- registry"); // empty: it ends; members bounces
  step(bob, "error: system_error(request_receiver_down)"); // -> empty list
  // PROTOCOL.md: `users` is the answer to `users`; dev is gone, so: empty.
  CHECK(bob.take() == strings{"users dev []"});
}
