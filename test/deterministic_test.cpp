// Races between the real registry, rooms and sessions, replayed message by
// message on CAF 0.17's test coordinator: nothing runs until the test says
// which actor handles its next message, so each race is run in both orders
// and every step is asserted. No sockets: sessions write to a recording fake.
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
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
  auto j = json::parse(text);
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
      return "message " + j.value("from_user", "") + "@" +
             j.value("room", "") + ": " + j.value("msg", "");
    return "message " + j.value("from_user", "") + "->" + to + ": " +
           j.value("msg", "");
  }
  if (type == "error")
    return "error " + j.value("code", "");
  if (type == "users")
    return "users " + j.value("room", "") + " " + join_names(j["users"]);
  return text;
}

/// The fake connection: records every frame and the close, in call order.
/// Everything runs on the test thread, so it needs no lock.
class recording_connection : public outbound {
public:
  void send(frame f) override { log_.push_back(summarize(f.str())); }
  void close(uint16_t code, std::string) override {
    log_.push_back("close " + std::to_string(code));
  }
  /// What was recorded since the last call.
  strings take() { return std::exchange(log_, {}); }

private:
  strings log_;
};

struct client {
  std::shared_ptr<recording_connection> conn;
  session_actor session;
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

  template <class Handle>
  void name(const Handle& h, std::string n) {
    names[h.id()] = std::move(n);
  }

  std::string name_of(caf::actor_id id) const {
    auto it = names.find(id);
    return it != names.end() ? it->second : "#" + std::to_string(id);
  }

  // -- clients ---------------------------------------------------------------

  /// Spawns a session for `user`; it does not run yet.
  client connect(const std::string& user, const std::string& label) {
    auto conn = std::make_shared<recording_connection>();
    auto s = spawn_session(*sys, registry, conn, user, ctx);
    name(s, label);
    return {conn, s};
  }

  /// A session that has logged in and entered the lobby.
  client login(const std::string& user) {
    auto c = connect(user, user);
    sched->run();
    auto frames = c.conn->take();
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
    auto ptr =
        dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(h));
    REQUIRE(ptr != nullptr);
    return ptr;
  }

  /// A mailbox element as the checks spell it: what, then `<- sender`.
  /// Replies read `reply` (or `error`), atoms their name, `deliver` adds the
  /// frame it carries.
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
    if (msg.match_elements<deliver_atom, frame>())
      what += " (" + summarize(msg.get_as<frame>(1).str()) + ")";
    return what;
  }

  static std::vector<caf::mailbox_element*> elements(caf::scheduled_actor* self) {
    std::vector<caf::mailbox_element*> result;
    self->mailbox().fetch_more();
    self->mailbox().queue().peek_all(
        [&](const caf::mailbox_element& x) {
          result.push_back(const_cast<caf::mailbox_element*>(&x));
        });
    return result;
  }

  /// Every message waiting in the mailbox, in order (without those that an
  /// awaiting actor already skipped).
  template <class Handle>
  strings mailbox(const Handle& h) const {
    strings result;
    for (auto* x : elements(actor_of(h)))
      result.push_back(describe(*x));
    return result;
  }

  /// Whether the actor waits for one response (`request(...).await`): then
  /// it handles nothing but that response and holds back everything else.
  static bool awaiting(caf::scheduled_actor* self) {
    return !self->bhvr_stack().empty() &&
           &self->current_behavior() != &self->bhvr_stack().back();
  }

  /// The message the actor handles when it runs next.
  std::string next_handled(caf::scheduled_actor* self) const {
    auto xs = elements(self);
    if (self->bhvr_stack().empty())
      return xs.empty() ? "(init)" : "(init) + " + describe(*xs.front());
    if (awaiting(self)) {
      for (auto* x : xs)
        if (x->mid.is_response())
          return describe(*x);
      return "(nothing: awaiting a response)";
    }
    return xs.empty() ? "(nothing)" : describe(*xs.front());
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
  template <class Handle>
  void step(const Handle& h, const std::string& what) {
    INFO("step: " << name_of(h.id()) << " handles " << what
                  << "; actors with work: " << jobs());
    REQUIRE(sched->prioritize(h));
    REQUIRE(next_handled(actor_of(h)) == what);
    sched->run_once();
  }

  void step(const client& c, const std::string& what) { step(c.session, what); }

  strings mailbox(const client& c) const { return mailbox(c.session); }

  // -- queries ---------------------------------------------------------------

  /// Asks the registry while nothing else runs, so a query never reorders a
  /// race.
  template <class R, class... Ts>
  caf::expected<R> ask(Ts&&... xs) {
    REQUIRE_FALSE(sched->has_job());
    caf::scoped_actor self{*sys};
    auto rh = self->request(registry, caf::infinite, std::forward<Ts>(xs)...);
    sched->run();
    REQUIRE_FALSE(self->mailbox().empty());
    caf::expected<R> result{caf::sec::unexpected_response};
    rh.receive([&](R& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  room_actor room(const std::string& n) {
    auto r = ask<room_actor>(join_atom::value, n);
    REQUIRE(r);
    name(*r, n);
    return *r;
  }

  strings members(const std::string& room_name) {
    auto r = ask<strings>(members_atom::value, room_name);
    REQUIRE(r);
    return *r;
  }

  caf::expected<session_actor> lookup(const std::string& user) {
    return ask<session_actor>(lookup_atom::value, user);
  }
};

} // namespace

// -- 1. logout racing a private message --------------------------------------

TEST_CASE_METHOD(deterministic_fixture,
                 "a whisper racing its recipient's logout is echoed if the "
                 "registry still knows her and refused if it does not",
                 "[actors][deterministic]") {
  auto alice = login("alice");
  auto bob = login("bob");
  auto lobby = room("lobby");
  CHECK(alice.conn->take() == strings{"presence join bob lobby"});
  // At once: bob whispers to alice, and alice's connection goes down.
  whisper(bob, "alice", "psst");
  connection_down(alice);
  SECTION("lookup first, while alice's session is still alive: the frame "
          "queues behind her ws_down and is dropped") {
    step(bob, "ws_text");            // lookup -> registry (bob awaits)
    step(registry, "lookup <- bob"); // alice is listed: her handle
    step(bob, "reply <- registry");  // deliver -> alice, echo -> bob
    CHECK(mailbox(alice) ==
          strings{"ws_down", "deliver <- bob (message bob->alice: psst)"});
    step(alice, "ws_down"); // quits; the deliver behind it is dropped
    step(bob, "deliver <- bob (message bob->alice: psst)");
    step(registry, "down_msg <- alice");
    step(lobby, "down_msg <- alice"); // leave -> bob
    step(bob, "deliver <- lobby (presence leave alice lobby)");
    REQUIRE_FALSE(sched->has_job());
    CHECK(bob.conn->take() ==
          strings{"message bob->alice: psst", "presence leave alice lobby"});
    CHECK(ctx.stats.privates.load() == 1);
  }
  SECTION("lookup first, after alice's session ended but before the registry "
          "saw it: the frame goes to a dead session") {
    step(bob, "ws_text");   // lookup -> registry
    step(alice, "ws_down"); // quits: down -> registry (behind the lookup)
    CHECK(mailbox(registry) == strings{"lookup <- bob", "down_msg <- alice"});
    step(registry, "lookup <- bob"); // alice is still listed
    step(bob, "reply <- registry");  // deliver -> dead alice, echo -> bob
    step(bob, "deliver <- bob (message bob->alice: psst)");
    step(registry, "down_msg <- alice");
    step(lobby, "down_msg <- alice");
    step(bob, "deliver <- lobby (presence leave alice lobby)");
    REQUIRE_FALSE(sched->has_job());
    CHECK(bob.conn->take() ==
          strings{"message bob->alice: psst", "presence leave alice lobby"});
    CHECK(ctx.stats.privates.load() == 1);
  }
  SECTION("the registry sees alice's session end first: bob hears "
          "unknown_user") {
    step(alice, "ws_down"); // quits: down -> registry, lobby
    step(bob, "ws_text");   // lookup -> registry (behind the down_msg)
    CHECK(mailbox(registry) == strings{"down_msg <- alice", "lookup <- bob"});
    step(registry, "down_msg <- alice"); // alice's name is free
    step(registry, "lookup <- bob");     // unknown_user
    step(bob, "error <- registry");
    step(lobby, "down_msg <- alice");
    step(bob, "deliver <- lobby (presence leave alice lobby)");
    REQUIRE_FALSE(sched->has_job());
    CHECK(bob.conn->take() ==
          strings{"error unknown_user", "presence leave alice lobby"});
    CHECK(ctx.stats.privates.load() == 0);
  }
  // Alice's connection got nothing after it went down, not even a close.
  CHECK(alice.conn->take().empty());
  auto gone = lookup("alice");
  REQUIRE_FALSE(gone);
  CHECK(is(gone.error(), chat_errc::unknown_user));
  CHECK(ctx.stats.sessions.load() == 1);
  CHECK(members("lobby") == strings{"bob"});
}
