// The fixture of the deterministic race tests (deterministic_test.cpp): the
// real registry, rooms and sessions on CAF 0.17's test coordinator, fake
// connections that record what they get, and helpers that step one actor by
// one message while checking which message that is.
#pragma once

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

namespace deterministic {

using namespace chat;

using json = nlohmann::json;
using strings = std::vector<std::string>;

inline std::string join_names(const json& names) {
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
inline std::string summarize(const std::string& text) {
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
  bool send(frame f) override {
    tape_->push_back(summarize(f.str()));
    return true;
  }
  void consumed(std::size_t) override {}
  void close(uint16_t code, std::string, disconnect_reason) override {
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
    auto err = ask([&](session_actor& s, connection_ref&,
                       registry_peer_actor&) { result = s; },
                   lookup_atom::value, user);
    if (err)
      return err;
    return result;
  }
};

} // namespace deterministic
