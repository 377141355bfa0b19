// Who holds each name of the cluster, as one node knows it: the replicated
// half of the registry, without actors (the registry feeds it what peers
// say, and unit tests feed it races).
//
// A login claims its name on every live node. A node grants a claim unless
// it knows a holder, or a pending claim that beats it (earlier login; the
// node name breaks ties). So of two logins racing for one name, the one
// that beats the other is refused by nobody, and the other is refused by
// the winner's node at least: exactly one wins. When nodes meet after a
// split, each sends its logged-in names; a name held on both sides stays
// with the claim that beats the other, on both sides alike.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/messages.hpp"

namespace chat {

class name_table {
public:
  struct holder {
    name_claim claim;
    bool confirmed = false; // the claim won; else it is under way
  };

  /// A claim to `user` (this node's or a peer's): granted (and recorded as
  /// under way) unless a holder or a better claim is known.
  bool claim(const std::string& user, const name_claim& c);

  /// A login of this node: granted (and recorded as under way) only if
  /// nobody holds or claims `user`. A peer's claim this node has granted
  /// must not be overtaken by a later login here, even one whose clock
  /// says it is older (clocks of nodes differ): that node would win too.
  bool claim_own(const std::string& user, const name_claim& c);

  /// The claim won: `user` is held by it.
  void confirm(const std::string& user, const name_claim& c);

  /// The claim lost, or its session ended: forgotten if it is the one
  /// recorded.
  void release(const std::string& user, const name_claim& c);

  /// A node died: every name its sessions held or claimed is free.
  void drop_node(const std::string& node);

  /// A peer's logged-in names, on meeting it. Where this table gives one
  /// of them to another holder, the better claim keeps it; `lost` is
  /// called with each name and claim that lost its name that way.
  void merge(const std::vector<name_entry>& peer_names,
             const std::function<void(const std::string& user,
                                      const name_claim& loser)>& lost);

  /// The holder of `user`, if any (confirmed or under way).
  std::optional<holder> find(const std::string& user) const;

  /// The confirmed names held by sessions of `node`.
  std::vector<name_entry> held_by(const std::string& node) const;

  std::size_t size() const noexcept { return names_.size(); }

private:
  // Every node keeps every name of the cluster, so an entry is kept small:
  // the claim's node is an index into `nodes_` rather than a string (a few
  // nodes hold tens of thousands of names each). 80 bytes of heap per name
  // instead of 112 on glibc.
  struct entry {
    int64_t ts_ns;
    uint32_t node;
    bool confirmed;
  };

  entry stored(const name_claim& c, bool confirmed);
  name_claim claim_of(const entry& e) const;

  std::unordered_map<std::string, entry> names_;
  std::vector<std::string> nodes_; // every node name seen; never shrinks
};

} // namespace chat
