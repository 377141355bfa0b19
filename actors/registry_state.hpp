// The registry's state and the helpers its handlers share; internal to
// registry*.cpp. The registry splits into: registry.cpp (the behaviour,
// supervision, the view of the cluster), registry_names.cpp (logins, the
// replicated name table, private messages across nodes) and
// registry_rooms.cpp (the room directory, placement and mirrors).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/context.hpp"
#include "actors/held_promises.hpp"
#include "actors/name_table.hpp"
#include "actors/protocol.hpp"

namespace chat {

struct registry_state {
  static inline const char* name = "registry";
  context* ctx = nullptr;

  // -- names -----------------------------------------------------------------

  /// A session of this node that holds its name.
  struct login {
    session_actor session;
    connection_ref conn;
    name_claim claim;
    bool welcomed = false; // lookups find only welcomed sessions...
    /// ...and those that ask before wait here until its welcome is queued
    /// (true) or the session ended (false).
    std::vector<std::function<void(bool welcomed)>> waiting;
  };
  std::unordered_map<std::string, login> sessions;
  std::unordered_map<caf::actor_addr, std::string> names_by_addr;

  /// A login of this node whose claim the peers have yet to answer.
  struct claim_under_way {
    caf::typed_response_promise<caf::ok_atom> promise;
    session_actor session;
    connection_ref conn;
    name_claim claim;
    std::set<std::string> waiting_on; // peers that have not answered
  };
  std::map<std::string, claim_under_way> claiming;

  /// Every name of the cluster, as this node knows it.
  name_table names;

  // -- rooms -----------------------------------------------------------------

  std::unordered_map<std::string, room_actor> rooms; // living here
  /// Rooms of other nodes that sessions here are in, and where each lives.
  struct mirrored_room {
    room_mirror_actor mirror;
    std::string host;
  };
  std::unordered_map<std::string, mirrored_room> mirrors;
  /// Rooms and mirrors by address, for down messages and trace names.
  std::unordered_map<caf::actor_addr, std::string> rooms_by_addr;
  /// Joins waiting while the node that hosts the room is asked for it.
  struct join_wait {
    std::vector<caf::typed_response_promise<room_actor>> promises;
    uint64_t attempt = 0; // answers to older attempts are ignored
    std::string asked;    // the node asked last
    std::chrono::steady_clock::time_point deadline;
  };
  std::map<std::string, join_wait> joining;
  /// Requests of sessions here relayed to other nodes, such as the members
  /// of a room that lives elsewhere.
  held_promises relays;

  // -- the cluster
  // -------------------------------------------------------------

  std::map<std::string, node_info> peers; // live, by name
  std::vector<std::string> view;          // live node names, this one too

  const std::string& node() const { return ctx->node_name; }
  bool alone() const { return peers.empty(); }
  std::string me() const { return "registry"; }
};

using registry_ptr = registry_actor::stateful_pointer<registry_state>;

void count(registry_ptr self);
void trace_in(registry_ptr self, const char* msg,
              const caf::actor_addr& from = {});

// registry_names.cpp
caf::result<caf::ok_atom> log_in(registry_ptr self, const std::string& user,
                                 const session_actor& who,
                                 const connection_ref& conn);
void log_out(registry_ptr self, const caf::actor_addr& session);
void on_ready(registry_ptr self, const std::string& user,
              const session_actor& who);
caf::result<session_actor, connection_ref, registry_peer_actor>
look_up(registry_ptr self, const std::string& user);
caf::result<bool> deliver_private(registry_ptr self, const std::string& user,
                                  const frame& f, uint64_t id);
bool peer_claims(registry_ptr self, const std::string& user,
                 const name_claim& c);
void merge_names(registry_ptr self, const std::vector<name_entry>& entries);
/// The view changed: claims under way stop waiting for dead peers and ask
/// new ones; names of dead peers are free; new peers learn our names.
void names_on_view(registry_ptr self, const std::set<std::string>& died,
                   const std::set<std::string>& joined);

// registry_rooms.cpp
caf::result<room_actor> join_room(registry_ptr self, const std::string& room);
/// Asks again for a room whose host refused or did not answer.
void retry_join(registry_ptr self, const std::string& room);
void forget_room(registry_ptr self, const std::string& name,
                 const caf::actor_addr& room);
caf::result<room_actor> host_room(registry_ptr self, const std::string& room);
caf::result<std::vector<std::string>> room_members(registry_ptr self,
                                                   const std::string& room);
void on_room_empty(registry_ptr self, const std::string& room);
/// A room or mirror ended; true if it was one.
bool room_down(registry_ptr self, const caf::down_msg& dm);
/// The view changed: rooms and mirrors that the new view places elsewhere
/// end, and their members join them where they live now.
void rooms_on_view(registry_ptr self);

} // namespace chat
