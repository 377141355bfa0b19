// Where a room lives: rendezvous (highest random weight) hashing of the
// room's name over the live nodes' names. Every node computes it alone and,
// with the same view, gets the same answer; when a node dies only its own
// rooms move, and when one joins only the rooms it now wins move to it.
// The hash is spelled out (FNV-1a) rather than std::hash, so that nodes
// built apart agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

/// 64-bit FNV-1a of `a`, a zero byte, then `b`, with a final mix.
inline uint64_t placement_hash(std::string_view a, std::string_view b) {
  uint64_t h = 14695981039346656037ull;
  auto eat = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : a)
    eat(static_cast<unsigned char>(c));
  eat(0);
  for (char c : b)
    eat(static_cast<unsigned char>(c));
  // FNV's low bits mix poorly for short keys: finish like splitmix64.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

/// The node among `nodes` (not empty) where `room` lives.
inline const std::string& owner_of(std::string_view room,
                                   const std::vector<std::string>& nodes) {
  const std::string* best = &nodes.front();
  uint64_t best_score = placement_hash(room, *best);
  for (const auto& node : nodes) {
    auto score = placement_hash(room, node);
    if (score > best_score || (score == best_score && node < *best)) {
      best = &node;
      best_score = score;
    }
  }
  return *best;
}

} // namespace chat
