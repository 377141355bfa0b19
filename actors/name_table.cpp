#include "actors/name_table.hpp"

#include <algorithm>

namespace chat {

name_table::entry name_table::stored(const name_claim& c, bool confirmed) {
  auto it = std::find(nodes_.begin(), nodes_.end(), c.node);
  if (it == nodes_.end())
    it = nodes_.insert(it, c.node);
  return {c.ts_ns, static_cast<uint32_t>(it - nodes_.begin()), confirmed};
}

name_claim name_table::claim_of(const entry& e) const {
  return {e.ts_ns, nodes_[e.node]};
}

bool name_table::claim(const std::string& user, const name_claim& c) {
  auto [it, fresh] = names_.try_emplace(user, stored(c, false));
  if (fresh)
    return true;
  auto& e = it->second;
  auto recorded = claim_of(e);
  if (recorded == c)
    return true;
  if (e.confirmed || recorded.beats(c))
    return false;
  // The recorded claim is under way and loses to this one: its node will
  // be refused by this claim's node, so this one is the claim to remember.
  e = stored(c, false);
  return true;
}

bool name_table::claim_own(const std::string& user, const name_claim& c) {
  return names_.try_emplace(user, stored(c, false)).second;
}

void name_table::confirm(const std::string& user, const name_claim& c) {
  auto [it, fresh] = names_.try_emplace(user, stored(c, true));
  if (fresh)
    return;
  auto& e = it->second;
  auto recorded = claim_of(e);
  if (e.confirmed && !(recorded == c) && recorded.beats(c))
    return; // a split healed badly: the better claim keeps the name
  e = stored(c, true);
}

void name_table::release(const std::string& user, const name_claim& c) {
  auto it = names_.find(user);
  if (it != names_.end() && claim_of(it->second) == c)
    names_.erase(it);
}

void name_table::drop_node(const std::string& node) {
  auto known = std::find(nodes_.begin(), nodes_.end(), node);
  if (known == nodes_.end())
    return;
  auto index = static_cast<uint32_t>(known - nodes_.begin());
  for (auto it = names_.begin(); it != names_.end();)
    if (it->second.node == index)
      it = names_.erase(it);
    else
      ++it;
}

void name_table::merge(
    const std::vector<name_entry>& peer_names,
    const std::function<void(const std::string& user, const name_claim& loser)>&
        lost) {
  for (const auto& p : peer_names) {
    auto it = names_.find(p.user);
    if (it == names_.end() || !it->second.confirmed) {
      // Unknown here, or only claimed: a logged-in session elsewhere wins
      // over a login still under way (which the peer will refuse).
      names_.insert_or_assign(p.user, stored(p.claim, true));
      continue;
    }
    auto recorded = claim_of(it->second);
    if (recorded == p.claim)
      continue;
    if (p.claim.beats(recorded)) {
      it->second = stored(p.claim, true);
      lost(p.user, recorded);
    } else {
      lost(p.user, p.claim); // the peer's session; its node learns it alike
    }
  }
}

std::optional<name_table::holder>
name_table::find(const std::string& user) const {
  auto it = names_.find(user);
  if (it == names_.end())
    return std::nullopt;
  return holder{claim_of(it->second), it->second.confirmed};
}

std::vector<name_entry> name_table::held_by(const std::string& node) const {
  std::vector<name_entry> out;
  for (const auto& [user, e] : names_)
    if (e.confirmed && nodes_[e.node] == node)
      out.push_back({user, claim_of(e)});
  return out;
}

} // namespace chat
