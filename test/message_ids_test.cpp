// Chat message ids (actors/message_ids.hpp): a Lamport clock times 1024
// plus the node's slot. Ids increase, move past every id observed, and
// two nodes never issue the same one.
#include <catch2/catch.hpp>

#include <set>

#include "actors/message_ids.hpp"

using chat::message_ids;

TEST_CASE("message_ids: a single node counts 1, 2, 3",
          "[cluster][message_ids]") {
  message_ids ids;
  CHECK(ids.high_water() == 0);
  CHECK(ids.next() == 1);
  CHECK(ids.next() == 2);
  CHECK(ids.next() == 3);
  CHECK(ids.high_water() == 3);
}

TEST_CASE("message_ids: in a cluster an id is clock * 1024 + slot, and "
          "ids increase",
          "[cluster][message_ids]") {
  message_ids ids;
  ids.enter_cluster(7);
  CHECK(ids.slot() == 7);
  uint64_t last = 0;
  for (int i = 0; i < 100; ++i) {
    auto id = ids.next();
    CHECK(id % message_ids::cluster_stride == 7);
    CHECK(id > last);
    last = id;
  }
  CHECK(last == 100 * message_ids::cluster_stride + 7);
  CHECK(ids.high_water() >= last);
  // A slot beyond the stride wraps into it.
  ids.set_slot(message_ids::cluster_stride + 3);
  CHECK(ids.slot() == 3);
}

TEST_CASE("message_ids: an observed id moves the clock past it, an older "
          "one changes nothing",
          "[cluster][message_ids]") {
  message_ids ids;
  ids.enter_cluster(1);
  ids.next();
  uint64_t seen = 500 * message_ids::cluster_stride + 9; // another node's
  ids.observe(seen);
  CHECK(ids.high_water() >= seen);
  auto id = ids.next();
  CHECK(id > seen);
  CHECK(id == 501 * message_ids::cluster_stride + 1);
  ids.observe(3 * message_ids::cluster_stride + 2);
  CHECK(ids.next() == 502 * message_ids::cluster_stride + 1);
}

TEST_CASE("message_ids: nodes that exchange ids never issue one twice and "
          "stay in causal order",
          "[cluster][message_ids]") {
  message_ids a, b, c;
  a.enter_cluster(0);
  b.enter_cluster(1);
  c.enter_cluster(2);
  message_ids* nodes[] = {&a, &b, &c};
  std::set<uint64_t> issued;
  uint64_t last = 0; // of a chain where each id is observed by the next node
  for (int round = 0; round < 300; ++round) {
    // Every node issues a few on its own, a many (its clock runs ahead)...
    for (auto* n : nodes)
      for (int k = 0; k < (n == &a ? 20 : round % 4); ++k)
        CHECK(issued.insert(n->next()).second);
    // ...and one message travels a -> b -> c -> a: each id is above the
    // one it caused.
    auto* to = nodes[round % 3];
    to->observe(last);
    auto id = to->next();
    CHECK(id > last);
    CHECK(issued.insert(id).second);
    last = id;
  }
  for (auto id : issued)
    CHECK(id % message_ids::cluster_stride < 3);
}
