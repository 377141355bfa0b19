// Every atom and typed actor interface of actorchat. The types they carry
// are in actors/messages.hpp, the codes in actors/codes.hpp.
//
// On each node:
//   session  - one per WebSocket connection; speaks JSON with its client
//   registry - logged-in names (of the whole cluster, replicated) and the
//              room directory (each room lives on the node that rendezvous
//              hashing over the live nodes picks)
//   room     - one per chat room, on one node; its members and one total
//              order of messages
//   mirror   - the local stand-in of a room that lives on another node: it
//              speaks the room's interface to local sessions, and writes
//              the room's frames to their connections (one message per
//              node and broadcast crosses the link)
//   node     - this process's membership in the cluster: meets peers over
//              CAF's middleman and tells the registry which are alive
// With `--trace` the tracer writes down every message the others handle.
// `net/` implements `outbound`; nothing here knows about sockets.
// docs/CLUSTER.md shows the messages between nodes as diagrams.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/codes.hpp"
#include "actors/messages.hpp"

namespace chat {

// -- atoms (CAF 0.17: at most 10 characters of [0-9A-Za-z_ ]) ----------------

using login_atom = caf::atom_constant<caf::atom("login")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using ws_text_atom = caf::atom_constant<caf::atom("ws_text")>;
using ws_binary_atom = caf::atom_constant<caf::atom("ws_binary")>;
using ws_close_atom = caf::atom_constant<caf::atom("ws_close")>;
using ws_down_atom = caf::atom_constant<caf::atom("ws_down")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using room_empty_atom = caf::atom_constant<caf::atom("room_empty")>;
using close_room_atom = caf::atom_constant<caf::atom("close_room")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using trace_atom = caf::atom_constant<caf::atom("trace")>;
using name_lost_atom = caf::atom_constant<caf::atom("name_lost")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using claim_atom = caf::atom_constant<caf::atom("claim")>;
using claimed_atom = caf::atom_constant<caf::atom("claimed")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using host_atom = caf::atom_constant<caf::atom("host")>;
using view_atom = caf::atom_constant<caf::atom("view")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using link_atom = caf::atom_constant<caf::atom("link")>;

// -- typed actor interfaces --------------------------------------------------

/// session: one per WebSocket connection; speaks JSON with its client.
///  (ws_text, text, arrival_ns)  client text frame; arrival_ns is steady-clock
///                               nanoseconds when the frame was read
///  (ws_binary, arrival_ns)      client binary frame (refused: `unsupported`)
///  (ws_close, code, reason, why)  the client's stream ended: it sent a
///        close frame, or a frame RFC 6455 forbids. Queued behind the
///        frames before it, so their replies leave first; then the session
///        closes with `code` and ends
///  (ws_down, reason)            the connection is gone; the session ends
///  (shutdown)                   the server stops: close with 1001
///  (name_lost)                  after a split healed, an older login of the
///        same name on another node keeps it: `name_taken`, close 1008
using session_actor = caf::typed_actor<
    caf::reacts_to<ws_text_atom, std::string, int64_t>,
    caf::reacts_to<ws_binary_atom, int64_t>,
    caf::reacts_to<ws_close_atom, uint16_t, std::string, disconnect_reason>,
    caf::reacts_to<ws_down_atom, std::string>, caf::reacts_to<shutdown_atom>,
    caf::reacts_to<name_lost_atom>>;

/// What a room sends a node's mirror of it (see room_mirror_actor).
///  (deliver, frame, id) -> (ok)  writes `frame` to the mirror's members;
///        a chat message's `id` (0 for presence) advances the node's id
///        clock. The room waits for the ok before it answers the publish.
using room_delivery = caf::typed_actor<
    caf::replies_to<deliver_atom, frame, uint64_t>::with<caf::ok_atom>>;

/// What a room needs of its owner (the registry of its node).
///  (room_empty, room)           the last member left; the owner may close it
///  (ready, user, session)       the session's welcome is queued on its
///        connection: from now on lookups may find it, and a private message
///        can no longer overtake the welcome
using room_owner =
    caf::typed_actor<caf::reacts_to<room_empty_atom, std::string>,
                     caf::reacts_to<ready_atom, std::string, session_actor>>;

/// room: members and one total order of messages.
///  (join, session, user, conn, entry) -> (ok)  adds a local member
///        (monitored): `join` presence to the others, then the joiner's
///        first frame (see `entry`) straight to its connection
///  (join, mirror, member, user, entry, clock, node) -> (first frame)
///        adds a member of node `node`, reached through that node's
///        mirror (monitored: the node's death removes all its members);
///        its first frame travels with the reply, ahead of any delivery.
///        Neither reply lists the members: only a welcome or a reset
///        does, so a join costs the room no copy of its member list.
///        `clock` is the mirror node's id clock
///  (leave, session) -> (ok)     removes a member; `leave` presence to the
///        rest; the reply queues behind every delivery made to that member
///  (leave, mirror, member) -> (ok)  the same for a mirror's member
///  (publish, from_user, msg, after) -> (id)  assigns an id above `after`
///        (the sender's node clock) and a ts, encodes the frame once,
///        queues it on every local member's connection and sends it once
///        to each mirror; the reply comes once every mirror took it, so a
///        session that waits for it keeps its own messages in order
///        across rooms, nodes and peers
///  (members) -> (sorted names)
///  (close_room) -> (closed)     ends the room if it is still empty
using room_actor = caf::typed_actor<
    caf::replies_to<join_atom, session_actor, std::string, connection_ref,
                    entry>::with<caf::ok_atom>,
    caf::replies_to<join_atom, room_delivery, uint64_t, std::string, entry,
                    uint64_t, std::string>::with<frame>,
    caf::replies_to<leave_atom, session_actor>::with<caf::ok_atom>,
    caf::replies_to<leave_atom, room_delivery, uint64_t>::with<caf::ok_atom>,
    caf::replies_to<publish_atom, std::string, std::string,
                    uint64_t>::with<uint64_t>,
    caf::replies_to<members_atom>::with<std::vector<std::string>>,
    caf::replies_to<close_room_atom>::with<bool>>;

/// mirror: a room of another node, as this node's sessions see it. It
/// answers the room's interface for them (relaying joins, leaves, publishes
/// and member lists) and takes the room's deliveries for them. It ends when
/// the room does (its node died, or the room moved), and its sessions then
/// join the room anew, as after a room failure.
using room_mirror_actor = room_actor::extend_with<room_delivery>;

/// What one node's registry asks another's.
///  (claim, user, claim) -> (granted)  a login elsewhere wants `user`:
///        refused if this node knows a holder or a claim that beats it
///  (claimed, user, claim)       that claim won: `user` lives there now
///  (release, user, claim)       that claim lost, or its session ended
///  (sync, names)                the sender's logged-in names, when two
///        nodes meet (start, rejoin, healed split); a name on both sides
///        stays with the older login, the other session gets `name_lost`
///  (host, room) -> (room)       the room, spawned if need be, if this
///        node's view places it here; else chat_errc::not_owner
///  (members, room) -> (sorted names)
///  (deliver, user, frame, id) -> (delivered)  a private message for a
///        session of this node; false if it is not (or no longer) here
using registry_peer_actor = caf::typed_actor<
    caf::replies_to<claim_atom, std::string, name_claim>::with<bool>,
    caf::reacts_to<claimed_atom, std::string, name_claim>,
    caf::reacts_to<release_atom, std::string, name_claim>,
    caf::reacts_to<sync_atom, std::vector<name_entry>>,
    caf::replies_to<host_atom, std::string>::with<room_actor>,
    caf::replies_to<members_atom, std::string>::with<std::vector<std::string>>,
    caf::replies_to<deliver_atom, std::string, frame, uint64_t>::with<bool>>;

/// A node of the cluster as its peers know it.
struct node_info {
  std::string name;         // --node-name, unique in the cluster
  uint64_t incarnation = 0; // tells a restarted node from its former life
  std::string address;      // host:port where peers reach its node actor
  uint64_t id_slot = 0;     // its chat message ids end in it (message_ids)
  registry_peer_actor registry;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("node_info"), x.name, x.incarnation, x.address,
           x.id_slot, x.registry);
}

/// registry: logged-in names and the room directory, for local actors.
///  (login, user, session, conn) -> (ok) | chat_errc::name_taken
///        claimed on every live node first; the name stays taken until the
///        session terminates (monitored)
///  (ready, user, session)       from the room that queued its welcome
///  (lookup, user) -> (session, conn, node)  where a private message goes:
///        a local session and its connection (node null), or the registry
///        of the user's node (session and conn empty) |
///        chat_errc::unknown_user. A local login still under way answers
///        once its welcome is queued
///  (join, room) -> (room)       the room (local) or its mirror (remote)
///  (join, room, dead) -> (room)  the same, from a session that found the
///        room `dead` gone (it failed, moved, or closed when empty): if the
///        directory still lists it, it is replaced at once
///  (room_empty, room)           asks the room (or mirror) to close unless
///        it is the local `lobby`
///  (view, peers)                from the node actor: the live peers
///  (tick, room)                 asks again for a room whose node did not
///        give it (yet)
///  (shutdown)                   every session closes with 1001
using registry_actor = registry_peer_actor::extend<
    caf::replies_to<login_atom, std::string, session_actor,
                    connection_ref>::with<caf::ok_atom>,
    caf::reacts_to<ready_atom, std::string, session_actor>,
    caf::replies_to<lookup_atom, std::string>::with<
        session_actor, connection_ref, registry_peer_actor>,
    caf::replies_to<join_atom, std::string>::with<room_actor>,
    caf::replies_to<join_atom, std::string, caf::actor_addr>::with<room_actor>,
    caf::reacts_to<room_empty_atom, std::string>,
    caf::reacts_to<view_atom, std::vector<node_info>>,
    caf::reacts_to<tick_atom, std::string>, caf::reacts_to<shutdown_atom>>;

/// node: this process's membership in the cluster, published on
/// `--cluster-port`.
///  (hello, info) -> (info, addresses)  a peer introduces itself; the
///        answer is this node and the addresses of every peer it knows,
///        so that every node links to every other (a full mesh)
///  (tick)                       connects to known peers that are not up
///  (link, node, port)           the sender made our link, and its end is
///        at `port`: here that finds the link's socket for /metrics
using node_actor =
    caf::typed_actor<caf::replies_to<hello_atom, node_info>::with<
                         node_info, std::vector<std::string>>,
                     caf::reacts_to<tick_atom>,
                     caf::reacts_to<link_atom, std::string, uint16_t>>;

/// tracer: owns the trace file; one JSON line per record, in arrival order.
///  (trace, record)              appends one line
///  (trace, records)             appends one line each: one message for a
///        broadcast's deliveries, however many members the room has
///  (shutdown) -> (ok)           flushes the file and ends; the reply comes
///        once every line queued before it is in the file
using tracer_actor =
    caf::typed_actor<caf::reacts_to<trace_atom, trace_record>,
                     caf::reacts_to<trace_atom, std::vector<trace_record>>,
                     caf::replies_to<shutdown_atom>::with<caf::ok_atom>>;

/// The room everybody starts in; it never ends.
inline const std::string lobby_room = "lobby";

} // namespace chat
