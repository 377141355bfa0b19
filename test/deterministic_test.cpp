// Races between the real registry, rooms and sessions, replayed message by
// message on CAF 0.17's test coordinator: nothing runs until the test says
// which actor handles its next message, so each race is run in both orders
// and every step is asserted. No sockets: sessions write to a recording fake.
#include "deterministic_fixture.hpp"

using namespace deterministic;

namespace {

/// Alice and bob logged in, alice then moved to dev, bob left in the lobby;
/// every message run, the frames they got still to take.
struct alice_in_dev : deterministic_fixture {
  client alice = login("alice");
  client bob = login("bob");
  room_actor lobby, dev;

  alice_in_dev() {
    join(alice, "dev");
    sched->run();
    lobby = room("lobby");
    dev = room("dev");
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
  // Bob's whisper was refused: alice got nothing, not even a close (her
  // client is gone), bob only her leave, and nothing was counted.
  auto refused_unseen = [&] {
    CHECK(alice.take().empty());
    CHECK(bob.take() == strings{"presence leave alice lobby"});
    CHECK(ctx.stats.privates.load() == 0);
    CHECK(ctx.stats.deliveries.load() == deliveries);
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
  SECTION("the lookup first, after her session and connection ended: bob "
          "hears unknown_user instead of an echo") {
    step(bob, "ws_text");   // lookup -> registry
    step(alice, "ws_down"); // her session ends: down -> registry, lobby
    alice.conn.reset();     // as the network layer frees it after the error
    CHECK(mailbox(registry) == strings{"lookup <- bob", "down_msg <- alice"});
    step(registry, "lookup <- bob"); // still listed: a dead connection ref
    step(bob, "reply <- registry");  // alice's connection takes nothing
    CHECK(bob.take() == strings{"error unknown_user"});
    step(registry, "down_msg <- alice");
    step(lobby, "down_msg <- alice");
    after_the_race();
    refused_unseen();
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
    refused_unseen();
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

TEST_CASE_METHOD(alice_in_dev,
                 "a message said while someone joins the room reaches the "
                 "joiner only if the room handles the join first",
                 "[actors][deterministic]") {
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

TEST_CASE_METHOD(alice_in_dev,
                 "a join racing the close of its emptied room ends in a live "
                 "room",
                 "[actors][deterministic]") {
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
                 "a whisper to a user whose login is under way waits for her "
                 "welcome, which stays her first frame",
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
  // Carol has no welcome yet: the lookup must not hand out her connection
  // before it is queued, nor fail because alice was quicker.
  step(registry, "lookup <- alice");
  CHECK(mailbox(alice).empty()); // no answer yet
  sched->run();
  // PROTOCOL.md: `welcome` is the first frame after a successful login.
  CHECK(carol.take() == strings{"welcome carol lobby [alice,carol]",
                                "message alice->carol: welcome!"});
  auto got = alice.take();
  CHECK(std::count(got.begin(), got.end(), "error unknown_user") == 0);
  CHECK(std::count(got.begin(), got.end(), "message alice->carol: welcome!") ==
        1);
  // Once welcomed, she is found.
  whisper(alice, "carol", "now?");
  sched->run();
  CHECK(carol.take() == strings{"message alice->carol: now?"});
}

TEST_CASE_METHOD(alice_in_dev,
                 "a users request for a room that closes meanwhile is "
                 "answered",
                 "[actors][deterministic]") {
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
