// The WebSocket connection's class, shared by its two source files:
// ws_connection.cpp (start, sending, reading) and ws_connection_close.cpp
// (the heartbeat, deadlines and the close handshake).
#pragma once

#include "net/ws_connection.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "actors/log.hpp"
#include "actors/session.hpp"
#include "net/batching_socket.hpp"
#include "net/beast.hpp"
#include "net/heartbeat.hpp"
#include "net/ws_frame.hpp"
#include "net/ws_reader.hpp"
#include "net/ws_upgrade.hpp"

namespace chat::net::detail {

using namespace ws_frame; // opcodes

/// Client bytes that may wait in the session's mailbox before the
/// connection stops reading (one read more may land on top). Each message
/// also costs its envelope, counted as this many bytes.
inline constexpr std::size_t inbound_limit = 64 * 1024;
inline constexpr std::size_t envelope_bytes = 128;

/// Why the connection ends when the client's stream earns `code`.
inline disconnect_reason reason_of_failure(uint16_t code) {
  return code == close_code::too_big       ? disconnect_reason::too_big
         : code == close_code::bad_payload ? disconnect_reason::bad_utf8
                                           : disconnect_reason::protocol_error;
}

inline const char* close_text(uint16_t code) {
  return code == close_code::too_big       ? "message too big"
         : code == close_code::bad_payload ? "invalid UTF-8"
                                           : "protocol error";
}

/// The bytes a readable socket is read into: parsed at once, so one buffer
/// per I/O thread serves every connection (an idle one holds none).
inline char* read_buffer(std::size_t& size) {
  static thread_local char buffer[64 * 1024];
  size = sizeof buffer;
  return buffer;
}

/// One WebSocket connection after the upgrade, on its own strand: reads the
/// client's frames into the session actor, answers pings, pings a quiet
/// client, sends what the session and rooms send through the batching
/// socket, and runs the close handshake either way (RFC 6455 sections 5 and
/// 7). What one client can make it hold is bounded: the reader's partial
/// message (max-frame), the frames waiting in the session's mailbox
/// (inbound_limit, then reading pauses) and the frames waiting for the
/// client (max-backlog, counted from the moment they are posted, then the
/// client is a slow consumer).
class ws_connection final : public outbound,
                            public std::enable_shared_from_this<ws_connection> {
public:
  ws_connection(tcp::socket&& socket, connection_slot slot, std::string user,
                server_context& srv)
      : strand_(*socket.get_executor().target<connection_strand>()),
        out_(std::move(socket)), timer_(strand_), slot_(std::move(slot)),
        reader_(srv.chat.lim.max_frame_bytes), user_(std::move(user)),
        srv_(srv), beat_(srv.chat.lim.heartbeat_timeout, steady_now_ns()) {}

  void start(std::string_view key, std::string pipelined);

  // -- outbound: called by actors from any thread ----------------------------

  bool send(frame f) override;

  void close(uint16_t code, std::string reason, disconnect_reason why) override;

  void consumed(std::size_t payload_bytes) override;

private:
  /// open: frames flow both ways. ending: the client's stream ended (its
  /// close, or a frame RFC 6455 forbids); the session replies to the frames
  /// before it, then closes. closing: our close frame is out, the client's
  /// is awaited. draining: the handshake is over (or the stream failed),
  /// our side of TCP is shut and the client's EOF is awaited. done: the
  /// socket is closed.
  enum class phase : uint8_t { open, ending, closing, draining, done };

  // -- reading ---------------------------------------------------------------

  /// Waits for bytes without a buffer or a pending read: an idle
  /// connection holds no read state at all.
  void wait_readable();

  /// Reads until the kernel has nothing more: the reactor reports new bytes
  /// (edge-triggered), never bytes a full buffer left behind. A client that
  /// keeps the buffer full yields the thread after a few reads; one whose
  /// frames pile up in the session's mailbox is not read until they went.
  void on_readable(beast::error_code ec);

  /// Whether reading stops until the session took more of its mailbox.
  bool should_pause();

  void resume();

  void on_bytes(std::string_view in);

  /// A client message to the session; counted until it says consumed().
  void to_session(ws_event& ev, int64_t arrival);

  void on_event(ws_event& ev, int64_t arrival);

  /// The client's stream is over. The session gets that behind the frames
  /// it has yet to handle, replies to them, then closes with `code`
  /// (RFC 6455 section 7.1.7: what is owed for earlier frames goes first).
  void end_stream(uint16_t code, std::string reason, disconnect_reason why);

  // -- writing ---------------------------------------------------------------

  void enqueue(frame f);

  /// Pongs count toward the backlog too: a client that pings and never
  /// reads is a slow consumer like any other.
  void queue_control(uint8_t opcode, std::string_view payload);

  void check_backlog();

  // -- heartbeat and deadlines -----------------------------------------------

  /// One timer per connection: the heartbeat while open, then the deadline
  /// of whatever the connection waits for.
  void arm_timer_after(std::chrono::steady_clock::duration after);

  void arm_timer_at(int64_t steady_ns);

  void on_timer();

  /// Nothing from the client for the whole timeout. One that still has our
  /// frames waiting could not even read our ping in time: for a chat that is
  /// a slow consumer (1008). One that has nothing waiting is gone.
  void give_up();

  // -- closing ---------------------------------------------------------------

  /// Stops taking frames; the close frame follows what is already queued.
  /// After the client's close or a broken stream the connection drains;
  /// otherwise the client's answer is awaited up to the handshake timeout.
  void begin_close(uint16_t code, std::string_view reason,
                   disconnect_reason why);

  void queue_close(uint16_t code, std::string_view reason);

  /// The client does not read fast enough: drop what is not yet handed to a
  /// write, end the session now and close with 1008 after the bytes being
  /// written; the deadline cuts the socket if even that never leaves.
  void slow_consumer();

  /// The handshake is over or the stream failed: once our last frame has
  /// left, shut our side; the client then closes its side (the server
  /// closes TCP first, RFC 6455 section 7.1.1), bounded by the deadline.
  void drain();

  /// Closes the socket (cancelling its waits) and tells the session.
  void finish(disconnect_reason why);

  /// Tells the session, once, that its client is gone (or going: the close
  /// handshake may still run), and counts why.
  void session_down(disconnect_reason why);

  // The socket's executor, by its concrete type: posting through it skips
  // the type-erased executor on every frame.
  connection_strand strand_;
  batching_socket out_;
  asio::steady_timer timer_;
  connection_slot slot_;
  ws_reader reader_;
  std::string user_;
  server_context& srv_;
  session_actor session_;
  heartbeat beat_;

  phase phase_ = phase::open;
  bool counted_ = false;                    // in chat_connections
  bool down_ = false;                       // the session was told
  bool peer_eof_ = false;                   // the client ended its side of TCP
  std::optional<disconnect_reason> reason_; // the first cause of the end
  uint16_t ending_code_ = 0;                // phase ending: the close owed
  std::string ending_text_;
  // Shared with the actors' threads.
  std::atomic<bool> accepting_{true};         // send() takes frames
  std::atomic<std::size_t> posted_bytes_{0};  // sent, not yet on the strand
  std::atomic<bool> overflowed_{false};       // slow_consumer() was posted
  std::atomic<std::size_t> inbound_bytes_{0}; // in the session's mailbox
  std::atomic<bool> paused_{false};           // reading waits for consumed()
};

} // namespace chat::net::detail
