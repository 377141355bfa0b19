// The types that travel in actorchat's messages, and the connection edge
// that sessions, rooms and mirrors write to. The interfaces that carry them
// are declared in actors/protocol.hpp. Types that cross nodes have an
// `inspect` (CAF serialises them) and are announced in actors/announce.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "actors/codes.hpp"

namespace chat {

/// A server frame, JSON-encoded once and shared read-only by every recipient:
/// a broadcast to N members costs one encoding and N reference counts.
struct frame {
  std::shared_ptr<const std::string> text;

  static frame make(std::string s) {
    return frame{std::make_shared<const std::string>(std::move(s))};
  }
  const std::string& str() const { return *text; }
};

/// Serialises the text itself, so a frame can cross CAF's middleman.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, frame& x) {
  std::string tmp = x.text ? *x.text : std::string{};
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.text = std::make_shared<const std::string>(std::move(tmp));
    return caf::none;
  });
  return f(caf::meta::type_name("frame"), tmp, load);
}

/// One line of the message trace (`--trace`): `to` handled a message `msg`
/// from `from` at `ts_ns` (steady clock). `id` links the lines of one chat
/// message across hops; 0 means the message belongs to no chat message.
struct trace_record {
  int64_t ts_ns = 0;
  std::string from;
  std::string to;
  std::string msg;
  uint64_t id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trace_record& x) {
  return f(caf::meta::type_name("trace_record"), x.ts_ns, x.from, x.to, x.msg,
           x.id);
}

/// Why a session joins a room, which decides the frame the room sends it
/// first (before any broadcast can reach it).
enum class entry : uint8_t {
  login,    // `welcome`
  join,     // its own `presence` `join` (the acknowledgement of `join`)
  reattach, // `presence` `reset` (the room failed or moved, and restarted)
};

/// A login's claim to a name across the cluster. Of two claims to one
/// name the earlier wins, the node name breaking a tie: every node ranks
/// them alike, so every node agrees on the winner.
struct name_claim {
  int64_t ts_ns = 0; // wall clock of the login (system_clock)
  std::string node;  // where the session lives

  bool beats(const name_claim& other) const {
    return std::tie(ts_ns, node) < std::tie(other.ts_ns, other.node);
  }
  bool operator==(const name_claim& other) const {
    return ts_ns == other.ts_ns && node == other.node;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, name_claim& x) {
  return f(caf::meta::type_name("name_claim"), x.ts_ns, x.node);
}

/// A logged-in name and its claim, as nodes tell each other on meeting.
struct name_entry {
  std::string user;
  name_claim claim;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, name_entry& x) {
  return f(caf::meta::type_name("name_entry"), x.user, x.claim);
}

// -- the connection edge (implemented by net/) --------------------------------

/// The connection a session writes to. Implementations must be callable from
/// any thread and must never block: they hand the work to the connection's
/// own strand. Frames and the close are sent in call order.
class outbound {
public:
  virtual ~outbound() = default;
  /// Queues one text frame. False if the connection takes no more frames:
  /// it is closing or gone, or its client does not read (slow consumer).
  virtual bool send(frame f) = 0;
  /// Sends a close frame with `code` and `reason` after everything queued,
  /// then ends; `why` is what chat_disconnects_total counts.
  virtual void close(uint16_t code, std::string reason,
                     disconnect_reason why) = 0;
  /// The session took a client frame (text of `payload_bytes`, 0 for a
  /// binary frame) out of its mailbox: the connection reads on while few
  /// enough bytes wait there.
  virtual void consumed(std::size_t payload_bytes) = 0;
};

/// A session's connection, as rooms and peers hold it: they write chat
/// frames straight to it, one hop, without a detour through the session's
/// mailbox. Never keeps the connection alive. Local to one process: remote
/// members are reached through their node's room mirror.
struct connection_ref {
  std::weak_ptr<outbound> out;

  /// Sends `f` if the connection still takes frames; false otherwise.
  bool send(const frame& f) const {
    if (auto conn = out.lock())
      return conn->send(f);
    return false;
  }
  bool same(const connection_ref& other) const {
    return !out.owner_before(other.out) && !other.out.owner_before(out);
  }
  explicit operator bool() const { return !out.expired(); }
};

} // namespace chat

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(chat::connection_ref)
