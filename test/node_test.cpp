// The node actor on its own, in one process: the hellos it must survive.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/context.hpp"
#include "actors/node.hpp"
#include "actors/registry.hpp"

using namespace std::chrono_literals;

TEST_CASE("a hello without a sender is ignored: the node lives on and counts "
          "no peer for it",
          "[actors][cluster]") {
  // CAF 0.17 delivers a remote message without a sender when it finds no
  // route back to the sending node at that moment (seen while a third
  // node's links were being made); an anonymous message is the same.
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  chat::context ctx;
  ctx.node_name = "n0";
  auto registry = chat::spawn_registry(sys, ctx);
  chat::cluster_options opts;
  opts.address = "127.0.0.1:1";
  auto node = chat::spawn_node(sys, registry, opts, ctx);

  chat::node_info nameless{"n1", 1, "127.0.0.1:2", 1, {}};
  caf::anon_send(node, chat::hello_atom::value, nameless);
  // A hello with a sender, sent after it, is answered and counted.
  caf::scoped_actor peer{sys};
  chat::node_info n2{"n2", 1, "127.0.0.1:3", 2, {}};
  bool answered = false;
  peer->request(node, 5s, chat::hello_atom::value, n2)
      .receive(
          [&](chat::node_info& me, std::vector<std::string>& known) {
            answered = me.name == "n0";
            CHECK(std::find(known.begin(), known.end(), "127.0.0.1:2") ==
                  known.end());
          },
          [&](caf::error& e) { FAIL("no answer: " << sys.render(e)); });
  CHECK(answered);
  CHECK(ctx.stats.cluster_nodes.load() == 2);

  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
}
