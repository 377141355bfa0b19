// The replicated name table (actors/name_table.hpp) on its own: claims,
// grants, conflicts, the merge after a split, and a node's death. The last
// case replays the registry's claim protocol between two tables in every
// order the messages can arrive in, and checks exactly one login wins.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

#include "actors/name_table.hpp"

using chat::name_claim;
using chat::name_entry;
using chat::name_table;

namespace {

using lost_list = std::vector<std::pair<std::string, name_claim>>;

lost_list merge(name_table& t, const std::vector<name_entry>& peer) {
  lost_list lost;
  t.merge(peer, [&](const std::string& user, const name_claim& loser) {
    lost.emplace_back(user, loser);
  });
  return lost;
}

} // namespace

TEST_CASE("name_table: a free name is granted and stays under way until "
          "confirmed",
          "[cluster][name_table]") {
  name_table t;
  name_claim c{100, "a"};
  CHECK(t.claim("alice", c));
  CHECK(t.claim("alice", c)); // asking again is no conflict
  REQUIRE(t.find("alice"));
  CHECK_FALSE(t.find("alice")->confirmed);
  CHECK(t.held_by("a").empty()); // only confirmed names count
  t.confirm("alice", c);
  CHECK(t.find("alice")->confirmed);
  CHECK(t.held_by("a").size() == 1);
  CHECK_FALSE(t.find("bob"));
}

TEST_CASE("name_table: a held name refuses every other claim, even an "
          "older one",
          "[cluster][name_table]") {
  name_table t;
  name_claim held{200, "b"};
  REQUIRE(t.claim("alice", held));
  t.confirm("alice", held);
  CHECK_FALSE(t.claim("alice", name_claim{300, "a"}));
  CHECK_FALSE(t.claim("alice", name_claim{100, "a"}));
  CHECK(t.find("alice")->claim == held);
}

TEST_CASE("name_table: of two claims under way the earlier login wins, the "
          "node name breaking a tie",
          "[cluster][name_table]") {
  name_claim older{100, "b"}, newer{200, "a"};
  SECTION("the newer claim is known: the older one replaces it") {
    name_table t;
    REQUIRE(t.claim("x", newer));
    CHECK(t.claim("x", older));
    CHECK(t.find("x")->claim == older);
  }
  SECTION("the older claim is known: the newer one is refused") {
    name_table t;
    REQUIRE(t.claim("x", older));
    CHECK_FALSE(t.claim("x", newer));
    CHECK(t.find("x")->claim == older);
  }
  SECTION("same instant: the smaller node name wins") {
    name_table t;
    REQUIRE(t.claim("x", name_claim{100, "b"}));
    CHECK(t.claim("x", name_claim{100, "a"}));
    CHECK_FALSE(t.claim("x", name_claim{100, "c"}));
    CHECK(t.find("x")->claim.node == "a");
  }
}

TEST_CASE("name_table: a release forgets only the claim it names",
          "[cluster][name_table]") {
  name_table t;
  name_claim c{100, "a"};
  REQUIRE(t.claim("alice", c));
  t.confirm("alice", c);
  t.release("alice", name_claim{100, "b"}); // someone else's: ignored
  CHECK(t.find("alice"));
  t.release("alice", c);
  CHECK_FALSE(t.find("alice"));
  CHECK(t.claim("alice", name_claim{999, "b"})); // free again
}

TEST_CASE("name_table: a dead node's names, held or under way, are free",
          "[cluster][name_table]") {
  name_table t;
  t.confirm("alice", name_claim{100, "a"});
  t.confirm("bob", name_claim{110, "b"});
  REQUIRE(t.claim("carol", name_claim{120, "b"})); // under way
  t.confirm("dave", name_claim{130, "c"});
  t.drop_node("b");
  CHECK_FALSE(t.find("bob"));
  CHECK_FALSE(t.find("carol"));
  CHECK(t.find("alice"));
  CHECK(t.find("dave"));
  CHECK(t.size() == 2);
  CHECK(t.claim("bob", name_claim{500, "c"}));
}

TEST_CASE("name_table: after a split, a name held on both sides stays with "
          "the older login, on both sides alike",
          "[cluster][name_table]") {
  // During the split, a granted "x" to its login at 200, b to its at 100.
  name_table a, b;
  name_claim on_a{200, "a"}, on_b{100, "b"};
  a.confirm("x", on_a);
  a.confirm("only_a", name_claim{50, "a"});
  b.confirm("x", on_b);
  b.confirm("only_b", name_claim{60, "b"});
  // They meet: each sends the other its logged-in names.
  auto from_a = a.held_by("a");
  auto from_b = b.held_by("b");
  auto lost_on_a = merge(a, from_b);
  auto lost_on_b = merge(b, from_a);
  // Both name the same loser: a's session, the newer login.
  CHECK(lost_on_a == lost_list{{"x", on_a}});
  CHECK(lost_on_b == lost_list{{"x", on_a}});
  CHECK(a.find("x")->claim == on_b);
  CHECK(b.find("x")->claim == on_b);
  // Names held on one side only are learnt by the other.
  CHECK(a.find("only_b"));
  CHECK(b.find("only_a"));
  CHECK(a.size() == 3);
  CHECK(b.size() == 3);
  // A peer's logged-in name beats a login here that is still under way.
  name_table c;
  REQUIRE(c.claim("y", name_claim{10, "c"}));
  CHECK(merge(c, {{"y", name_claim{20, "a"}}}).empty());
  CHECK(c.find("y")->confirmed);
  CHECK(c.find("y")->claim.node == "a");
}

// The registry's protocol for one name and two nodes: each node claims its
// own login in its own table (claim_own), then asks the other node
// (claim); a login wins if both said yes. The messages may arrive in any
// order; each node may learn of the other's claim before its own login, as
// when its clock is behind the other's.
TEST_CASE("name_table: of two logins racing for one name across two nodes, "
          "exactly one wins in every order of arrival",
          "[cluster][name_table]") {
  // 0: a's own login, 1: b's own login, 2: a answers b, 3: b answers a.
  std::array<int, 4> order{0, 1, 2, 3};
  int orders = 0;
  for (auto [ts_a, ts_b] : {std::pair{100, 200}, std::pair{200, 100}}) {
    std::sort(order.begin(), order.end());
    do {
      // Node X answers Y's claim only after Y claimed it for itself.
      auto at = [&](int e) {
        return std::find(order.begin(), order.end(), e) - order.begin();
      };
      if (at(2) < at(1) || at(3) < at(0))
        continue;
      ++orders;
      name_table a, b;
      name_claim ca{ts_a, "a"}, cb{ts_b, "b"};
      std::map<int, bool> said;
      for (int e : order)
        said[e] = e == 0   ? a.claim_own("x", ca)
                  : e == 1 ? b.claim_own("x", cb)
                  : e == 2 ? a.claim("x", cb)
                           : b.claim("x", ca);
      bool a_wins = said[0] && said[3];
      bool b_wins = said[1] && said[2];
      INFO("order " << order[0] << order[1] << order[2] << order[3] << ", a at "
                    << ts_a << ", b at " << ts_b);
      CHECK(a_wins != b_wins);
    } while (std::next_permutation(order.begin(), order.end()));
  }
  CHECK(orders == 12);
}
