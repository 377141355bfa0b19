#include "net/ws_connection.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "actors/log.hpp"
#include "actors/session.hpp"
#include "net/batching_socket.hpp"
#include "net/beast.hpp"
#include "net/ws_reader.hpp"
#include "net/ws_upgrade.hpp"

namespace chat::net {

namespace {

using namespace ws_frame; // opcodes and close codes

/// Why the connection ends when the client's stream earns `code`.
disconnect_reason reason_of_failure(uint16_t code) {
  return code == close_too_big       ? disconnect_reason::too_big
         : code == close_bad_payload ? disconnect_reason::bad_utf8
                                     : disconnect_reason::protocol_error;
}

const char* close_text(uint16_t code) {
  return code == close_too_big       ? "message too big"
         : code == close_bad_payload ? "invalid UTF-8"
                                     : "protocol error";
}

/// The bytes a readable socket is read into: parsed at once, so one buffer
/// per I/O thread serves every connection (an idle one holds none).
char* read_buffer(std::size_t& size) {
  static thread_local char buffer[64 * 1024];
  size = sizeof buffer;
  return buffer;
}

/// One WebSocket connection after the upgrade, on its own strand: reads the
/// client's frames into the session actor, answers pings, pings an idle
/// client, sends what the session sends through the batching socket, and
/// runs the close handshake either way (RFC 6455 sections 5 and 7).
class ws_connection final : public outbound,
                            public std::enable_shared_from_this<ws_connection> {
public:
  ws_connection(tcp::socket&& socket, connection_slot slot, std::string user,
                server_context& srv)
      : strand_(*socket.get_executor().target<connection_strand>()),
        out_(std::move(socket)), timer_(strand_), slot_(std::move(slot)),
        reader_(srv.chat.lim.max_frame_bytes), user_(std::move(user)),
        srv_(srv) {}

  void start(std::string_view key) {
    // Chat frames are small and latency matters: no Nagle delay.
    beast::error_code ignored;
    out_.socket().set_option(tcp::no_delay(true), ignored);
    out_.set_owner(weak_from_this());
    out_.count_writes_in(srv_.chat.stats.socket_writes);
    out_.send_raw(switching_protocols(key));
    if (out_.failed())
      return;
    srv_.chat.stats.connections.fetch_add(1);
    session_ = spawn_session(srv_.system, srv_.registry, weak_from_this(),
                             user_, srv_.chat);
    arm_timer(srv_.chat.lim.heartbeat_timeout / 2);
    wait_readable();
  }

  // -- outbound: called by the session actor from any thread -----------------

  void send(frame f) override {
    asio::post(strand_,
               [self = shared_from_this(), f = std::move(f)]() mutable {
                 self->enqueue(std::move(f));
               });
  }

  void close(uint16_t code, std::string reason) override {
    auto why = code == close_going_away       ? disconnect_reason::shutdown
               : code == close_internal_error ? disconnect_reason::server_error
                                              : disconnect_reason::refused;
    asio::post(strand_, [self = shared_from_this(), code, why,
                         reason = std::move(reason)]() mutable {
      self->begin_close(code, reason, why);
    });
  }

private:
  /// open: frames flow both ways. closing: our close frame is out, the
  /// client's is awaited. draining: the handshake is over (or the stream
  /// failed), our side of TCP is shut and the client's EOF is awaited.
  /// done: the socket is closed.
  enum class phase : uint8_t { open, closing, draining, done };

  // -- reading ---------------------------------------------------------------

  /// Waits for bytes without a buffer or a pending read: an idle
  /// connection holds no read state at all.
  void wait_readable() {
    out_.socket().async_wait(tcp::socket::wait_read,
                             [self = shared_from_this()](beast::error_code ec) {
                               self->on_readable(ec);
                             });
  }

  /// Reads until the kernel has nothing more: the reactor reports new bytes
  /// (edge-triggered), never bytes a full buffer left behind. A client that
  /// keeps the buffer full yields the thread after a few reads.
  void on_readable(beast::error_code ec) {
    constexpr int full_reads_before_yield = 4;
    std::size_t capacity = 0;
    char* buffer = read_buffer(capacity);
    for (int full_reads = 0; !ec && phase_ != phase::done;) {
      auto n = out_.socket().read_some(asio::buffer(buffer, capacity), ec);
      if (ec)
        break;
      on_bytes(std::string_view(buffer, n));
      if (n < capacity)
        break; // drained: the next bytes raise a new event
      if (++full_reads == full_reads_before_yield) {
        asio::post(strand_,
                   [self = shared_from_this()] { self->on_readable({}); });
        return;
      }
    }
    if (phase_ == phase::done)
      return;
    if (!ec || ec == asio::error::would_block || ec == asio::error::try_again) {
      wait_readable();
      return;
    }
    // EOF or reset: without a close frame from the client, unless we were
    // the ones closing.
    finish(server_reason_.value_or(disconnect_reason::reset));
  }

  void on_bytes(std::string_view in) {
    traffic_ = true;
    if (phase_ == phase::draining)
      return; // after the handshake, bytes up to the client's EOF are dropped
    auto arrival = steady_now_ns();
    while (phase_ == phase::open || phase_ == phase::closing) {
      auto event = reader_.next(in);
      if (!event)
        break;
      on_event(*event, arrival);
    }
  }

  void on_event(ws_event& ev, int64_t arrival) {
    switch (ev.kind) {
    case ws_event::text:
      if (phase_ == phase::open)
        caf::anon_send(session_, ws_text_atom::value, std::move(ev.payload),
                       arrival);
      return; // after our close frame, data is read and dropped
    case ws_event::binary:
      if (phase_ == phase::open)
        caf::anon_send(session_, ws_binary_atom::value, arrival);
      return;
    case ws_event::ping:
      if (phase_ == phase::open)
        out_.send_frame(op_pong, ev.payload);
      return;
    case ws_event::pong:
      return; // counted as traffic already
    case ws_event::close:
      if (phase_ == phase::open) {
        // Echo the client's code (RFC 6455 section 5.5.1).
        session_down(disconnect_reason::client_close);
        out_.send_frame(op_close, ws_frame::close_payload(ev.code, {}));
      }
      drain();
      return;
    case ws_event::fail:
      if (phase_ == phase::open) {
        auto why = reason_of_failure(ev.code);
        server_reason_ = why;
        session_down(why);
        out_.send_frame(op_close,
                        ws_frame::close_payload(ev.code, close_text(ev.code)));
      }
      drain();
      return;
    }
  }

  // -- writing ---------------------------------------------------------------

  void enqueue(frame f) {
    // After a close frame, sent or received, no data frame may follow.
    if (phase_ != phase::open || out_.failed())
      return;
    out_.send_text(std::move(f.text));
    if (out_.backlog_bytes() > srv_.chat.lim.max_backlog_bytes)
      slow_consumer();
  }

  // -- heartbeat and deadlines -----------------------------------------------

  /// One timer per connection: the heartbeat while open, then the deadline
  /// of the close handshake.
  void arm_timer(std::chrono::steady_clock::duration after) {
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->on_timer();
    });
  }

  /// Every half timeout: traffic since the last tick keeps the connection;
  /// so does a client that was behind and whose TCP acknowledged more of
  /// our frames since (it is reading; its pong waits behind the backlog).
  /// Silence earns a ping, and a second silent half closes it.
  void on_timer() {
    if (phase_ != phase::open) {
      finish(server_reason_.value_or(disconnect_reason::reset)); // no answer
      return;
    }
    auto acked = out_.bytes_acked();
    bool catching_up = behind_at_tick_ && acked != acked_at_tick_;
    acked_at_tick_ = acked;
    behind_at_tick_ = out_.bytes_taken() != acked || out_.backlog_bytes() > 0;
    if (traffic_ || catching_up) {
      traffic_ = false;
      pinged_ = false;
    } else if (!pinged_) {
      pinged_ = true;
      out_.send_frame(op_ping, {});
    } else {
      log::debug("heartbeat timeout for '" + user_ + "'");
      server_reason_ = disconnect_reason::timeout;
      finish(disconnect_reason::timeout);
      return;
    }
    arm_timer(srv_.chat.lim.heartbeat_timeout / 2);
  }

  // -- closing ---------------------------------------------------------------

  /// Stops taking frames; the close frame follows what is already queued,
  /// and the client's answer is awaited up to the handshake timeout.
  void begin_close(uint16_t code, std::string_view reason,
                   disconnect_reason why) {
    if (phase_ != phase::open)
      return;
    phase_ = phase::closing;
    server_reason_ = why;
    out_.send_frame(op_close, ws_frame::close_payload(code, reason));
    arm_timer(srv_.chat.lim.handshake_timeout);
  }

  /// The client does not read fast enough: drop what is not yet handed to a
  /// write, end the session now and close with 1008 after the batch being
  /// written; the deadline cuts the socket if even that never leaves.
  void slow_consumer() {
    log::info("closing slow consumer '" + user_ + "'");
    out_.discard_queued();
    begin_close(close_policy, "slow consumer",
                disconnect_reason::slow_consumer);
    session_down(disconnect_reason::slow_consumer);
  }

  /// The handshake is over or the stream failed: once our last frame has
  /// left, shut our side; the client then closes its side (the server
  /// closes TCP first, RFC 6455 section 7.1.1), bounded by the deadline.
  void drain() {
    if (phase_ == phase::draining || phase_ == phase::done)
      return;
    phase_ = phase::draining;
    arm_timer(srv_.chat.lim.handshake_timeout);
    out_.when_drained([self = shared_from_this()] {
      beast::error_code ignored;
      if (self->phase_ == phase::draining)
        self->out_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  /// Closes the socket (cancelling its waits) and tells the session.
  void finish(disconnect_reason why) {
    if (phase_ == phase::done)
      return;
    phase_ = phase::done;
    beast::error_code ignored;
    out_.socket().close(ignored);
    timer_.cancel();
    session_down(why);
  }

  /// Tells the session, once, that this connection is gone.
  void session_down(disconnect_reason why) {
    if (down_ || !session_)
      return;
    down_ = true;
    srv_.chat.stats.add(why);
    srv_.chat.stats.connections.fetch_sub(1);
    caf::anon_send(session_, ws_down_atom::value, std::string{to_string(why)});
  }

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

  phase phase_ = phase::open;
  uint64_t acked_at_tick_ = 0;  // the client's TCP acks at the last tick
  bool behind_at_tick_ = false; // frames of ours were unacknowledged then
  bool traffic_ = false;        // bytes arrived since the last heartbeat tick
  bool pinged_ = false;         // a heartbeat ping is unanswered
  bool down_ = false;           // the session was told
  std::optional<disconnect_reason> server_reason_;
};

} // namespace

void start_websocket(tcp::socket socket, connection_slot slot,
                     std::string_view key, std::string user,
                     server_context& srv) {
  std::make_shared<ws_connection>(std::move(socket), std::move(slot),
                                  std::move(user), srv)
      ->start(key);
}

} // namespace chat::net
