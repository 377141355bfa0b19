// A node's stop, on CAF's test coordinator: the registry ends while it holds
// a request of one of its sessions. CAF 0.17 sends nothing for a promise
// that ends with its actor, and a session that awaits the reply handles
// nothing else meanwhile, not even the exit the registry sends it: unless
// the registry answers what it holds, that session never ends, and the
// process waits for it for good.
#include "handover_fixture.hpp"

using namespace deterministic;

namespace {

/// Ends node `i`'s registry as the server's stop does, and runs everything
/// (two seconds of timers included). True if `c`'s session ended.
bool ends_with_its_registry(handover_fixture& f, std::size_t i, client& c) {
  caf::anon_send_exit(f.nodes[i].registry, caf::exit_reason::user_shutdown);
  f.run_all();
  if (handover_fixture::terminated(c.session))
    return true;
  // It never will: let the actor system end without it.
  f.sys->await_actors_before_shutdown(false);
  return false;
}

} // namespace

TEST_CASE("deterministic node stop: a registry that ends answers every "
          "request it holds, so every session of its node ends",
          "[actors][deterministic][cluster]") {
  handover_fixture f{{"a", "b"}};
  SECTION("a login whose claim the peer has yet to answer") {
    auto alice = f.connect_at(0, "alice", "alice");
    f.step(alice.session, "(init)");
    f.step(f.nodes[0].registry, "login <- alice"); // asks b
    CHECK(ends_with_its_registry(f, 0, alice));
  }
  SECTION("a join of a room whose host does not answer") {
    auto alice = f.login_at(0, "alice");
    auto dev = f.room_on("b", "dev");
    // b's registry dies unseen (no view without it): a's registry asks it
    // for the room again every 100 ms, for the peers' patience.
    caf::anon_send_exit(f.nodes[1].registry, caf::exit_reason::kill);
    f.join(alice, dev);
    f.run_all();
    REQUIRE_FALSE(handover_fixture::terminated(alice.session));
    CHECK(ends_with_its_registry(f, 0, alice));
  }
  SECTION("a private message to a session whose welcome is on the way") {
    auto alice = f.login_at(0, "alice");
    auto bob = f.connect_at(0, "bob", "bob");
    f.step(bob.session, "(init)");
    f.step(f.nodes[0].registry, "login <- bob");
    f.step(f.nodes[1].registry, "claim <- registry@a");
    f.step(f.nodes[0].registry, "reply <- registry@b"); // bob is in
    f.whisper(alice, "bob", "hi");
    f.step(alice.session, "ws_text");
    f.step(f.nodes[0].registry, "lookup <- alice"); // waits for the welcome
    CHECK(ends_with_its_registry(f, 0, alice));
  }
  SECTION("the members of a room that lives on the peer") {
    auto alice = f.login_at(0, "alice");
    f.text(alice, {{"type", "users"}, {"room", f.room_on("b", "dev")}});
    f.step(alice.session, "ws_text");
    f.step(f.nodes[0].registry, "members <- alice"); // asks b
    CHECK(ends_with_its_registry(f, 0, alice));
  }
}
