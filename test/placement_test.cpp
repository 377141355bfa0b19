// Rendezvous placement of rooms over the live nodes (actors/placement.hpp):
// every node computes it alone, so it must depend on the view only; a
// node's death moves its own rooms and no other; rooms spread evenly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "actors/placement.hpp"

using chat::owner_of;
using chat::placement_hash;

namespace {

std::vector<std::string> room_names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("room" + std::to_string(i));
  return out;
}

std::map<std::string, std::string> place(const std::vector<std::string>& rooms,
                                         const std::vector<std::string>& view) {
  std::map<std::string, std::string> out;
  for (auto& r : rooms)
    out[r] = owner_of(r, view);
  return out;
}

} // namespace

TEST_CASE("placement: the owner depends on the view's members, not their "
          "order, and is stable across builds",
          "[cluster][placement]") {
  std::vector<std::string> view{"n0", "n1", "n2", "n3"};
  auto rooms = room_names(200);
  auto first = place(rooms, view);
  std::reverse(view.begin(), view.end());
  CHECK(place(rooms, view) == first);
  std::rotate(view.begin(), view.begin() + 1, view.end());
  CHECK(place(rooms, view) == first);
  // The hash is spelled out, so nodes built apart agree: pin one value.
  CHECK(placement_hash("lobby", "n0") == 12298969060636389927ull);
  CHECK(placement_hash("ab", "c") != placement_hash("a", "bc"));
  CHECK(owner_of("lobby", {"solo"}) == "solo");
}

TEST_CASE("placement: when a node dies only its rooms move, and when it "
          "comes back only rooms it wins move to it",
          "[cluster][placement]") {
  std::vector<std::string> all{"a", "b", "c", "d"};
  auto rooms = room_names(1000);
  auto before = place(rooms, all);
  std::vector<std::string> without_c{"a", "b", "d"};
  auto after = place(rooms, without_c);
  int moved = 0;
  for (auto& r : rooms) {
    if (before[r] == "c") {
      CHECK(after[r] != "c");
      ++moved;
    } else {
      CHECK(after[r] == before[r]); // a survivor's room stays put
    }
  }
  CHECK(moved > 0);
  // c rejoins: exactly its former rooms go back to it.
  CHECK(place(rooms, all) == before);
  for (auto& r : rooms)
    if (after[r] != before[r])
      CHECK(before[r] == "c");
}

TEST_CASE("placement: rooms spread roughly evenly over the nodes",
          "[cluster][placement]") {
  std::vector<std::string> view{"n0", "n1", "n2"};
  auto rooms = room_names(3000);
  std::map<std::string, int> load;
  for (auto& r : rooms)
    ++load[owner_of(r, view)];
  REQUIRE(load.size() == 3);
  for (auto& [node, n] : load) {
    INFO(node << " hosts " << n << " of 3000");
    CHECK(n > 850); // 1000 expected; 850 is over 5 standard deviations off
    CHECK(n < 1150);
  }
  // Short, similar names too (the final mix is there for them).
  std::map<std::string, int> short_load;
  for (char c = 'a'; c <= 'z'; ++c)
    for (char d = 'a'; d <= 'z'; ++d)
      ++short_load[owner_of(std::string{c, d}, view)];
  for (auto& [node, n] : short_load) {
    INFO(node << " hosts " << n << " of 676 two-letter rooms");
    CHECK(n > 160);
    CHECK(n < 290);
  }
}
