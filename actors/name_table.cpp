#include "actors/name_table.hpp"

namespace chat {

bool name_table::claim(const std::string& user, const name_claim& c) {
  auto [it, fresh] = names_.try_emplace(user, holder{c, false});
  if (fresh || it->second.claim == c)
    return true;
  auto& h = it->second;
  if (h.confirmed || h.claim.beats(c))
    return false;
  // The recorded claim is under way and loses to this one: its node will
  // be refused by this claim's node, so this one is the claim to remember.
  h.claim = c;
  return true;
}

bool name_table::claim_own(const std::string& user, const name_claim& c) {
  return names_.try_emplace(user, holder{c, false}).second;
}

void name_table::confirm(const std::string& user, const name_claim& c) {
  auto& h = names_[user];
  if (h.confirmed && !(h.claim == c) && h.claim.beats(c))
    return; // a split healed badly: the better claim keeps the name
  h = holder{c, true};
}

void name_table::release(const std::string& user, const name_claim& c) {
  auto it = names_.find(user);
  if (it != names_.end() && it->second.claim == c)
    names_.erase(it);
}

void name_table::drop_node(const std::string& node) {
  for (auto it = names_.begin(); it != names_.end();)
    if (it->second.claim.node == node)
      it = names_.erase(it);
    else
      ++it;
}

void name_table::merge(
    const std::vector<name_entry>& peer_names,
    const std::function<void(const std::string& user, const name_claim& loser)>&
        lost) {
  for (const auto& e : peer_names) {
    auto it = names_.find(e.user);
    if (it == names_.end() || !it->second.confirmed) {
      // Unknown here, or only claimed: a logged-in session elsewhere wins
      // over a login still under way (which the peer will refuse).
      names_[e.user] = holder{e.claim, true};
      continue;
    }
    auto& h = it->second;
    if (h.claim == e.claim)
      continue;
    if (e.claim.beats(h.claim)) {
      auto loser = h.claim;
      h.claim = e.claim;
      lost(e.user, loser);
    } else {
      lost(e.user, e.claim); // the peer's session; its node learns it alike
    }
  }
}

const name_table::holder* name_table::find(const std::string& user) const {
  auto it = names_.find(user);
  return it == names_.end() ? nullptr : &it->second;
}

std::vector<name_entry> name_table::held_by(const std::string& node) const {
  std::vector<name_entry> out;
  for (const auto& [user, h] : names_)
    if (h.confirmed && h.claim.node == node)
      out.push_back({user, h.claim});
  return out;
}

} // namespace chat
