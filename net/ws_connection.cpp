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

namespace chat::net {

namespace {

using namespace ws_frame; // opcodes

/// Client bytes that may wait in the session's mailbox before the
/// connection stops reading (one read more may land on top). Each message
/// also costs its envelope, counted as this many bytes.
constexpr std::size_t inbound_limit = 64 * 1024;
constexpr std::size_t envelope_bytes = 128;

/// Why the connection ends when the client's stream earns `code`.
disconnect_reason reason_of_failure(uint16_t code) {
  return code == close_code::too_big       ? disconnect_reason::too_big
         : code == close_code::bad_payload ? disconnect_reason::bad_utf8
                                           : disconnect_reason::protocol_error;
}

const char* close_text(uint16_t code) {
  return code == close_code::too_big       ? "message too big"
         : code == close_code::bad_payload ? "invalid UTF-8"
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

  void start(std::string_view key, std::string pipelined) {
    // Chat frames are small and latency matters: no Nagle delay.
    beast::error_code ignored;
    out_.socket().set_option(tcp::no_delay(true), ignored);
    out_.set_owner(weak_from_this());
    out_.on_failure([weak = weak_from_this()] {
      // The socket is closed already; end the rest in a handler of its own.
      if (auto self = weak.lock())
        asio::post(self->strand_,
                   [self] { self->finish(disconnect_reason::reset); });
    });
    out_.count_writes_in(srv_.chat.stats.socket_writes);
    out_.send_raw(switching_protocols(key));
    if (out_.failed())
      return;
    srv_.chat.stats.connections.fetch_add(1);
    counted_ = true;
    session_ = spawn_session(srv_.system, srv_.registry, weak_from_this(),
                             user_, srv_.chat);
    arm_timer_at(beat_.next_check_ns());
    if (!pipelined.empty())
      on_bytes(pipelined);
    if (phase_ != phase::done && !paused_)
      wait_readable();
  }

  // -- outbound: called by actors from any thread ----------------------------

  bool send(frame f) override {
    if (!accepting_.load(std::memory_order_acquire))
      return false;
    // Counted from now: frames posted but not yet on the strand count
    // toward the backlog bound as much as queued ones.
    auto size = f.str().size() + envelope_bytes;
    auto before = posted_bytes_.fetch_add(size);
    if (before + size > srv_.chat.lim.max_backlog_bytes) {
      posted_bytes_.fetch_sub(size);
      if (!overflowed_.exchange(true))
        asio::post(strand_,
                   [self = shared_from_this()] { self->slow_consumer(); });
      return false;
    }
    asio::post(strand_,
               [self = shared_from_this(), f = std::move(f), size]() mutable {
                 self->posted_bytes_.fetch_sub(size);
                 self->enqueue(std::move(f));
               });
    return true;
  }

  void close(uint16_t code, std::string reason,
             disconnect_reason why) override {
    asio::post(strand_, [self = shared_from_this(), code, why,
                         reason = std::move(reason)]() mutable {
      self->begin_close(code, reason, why);
    });
  }

  void consumed(std::size_t payload_bytes) override {
    auto bytes = payload_bytes + envelope_bytes;
    auto left = inbound_bytes_.fetch_sub(bytes) - bytes;
    if (left < inbound_limit && paused_.exchange(false))
      asio::post(strand_, [self = shared_from_this()] { self->resume(); });
  }

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
  void wait_readable() {
    out_.socket().async_wait(tcp::socket::wait_read,
                             [self = shared_from_this()](beast::error_code ec) {
                               self->on_readable(ec);
                             });
  }

  /// Reads until the kernel has nothing more: the reactor reports new bytes
  /// (edge-triggered), never bytes a full buffer left behind. A client that
  /// keeps the buffer full yields the thread after a few reads; one whose
  /// frames pile up in the session's mailbox is not read until they went.
  void on_readable(beast::error_code ec) {
    constexpr int full_reads_before_yield = 4;
    std::size_t capacity = 0;
    char* buffer = read_buffer(capacity);
    for (int full_reads = 0; !ec && phase_ != phase::done;) {
      if (should_pause())
        return; // consumed() resumes
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
    if (phase_ == phase::ending && ec == asio::error::eof) {
      peer_eof_ = true; // a client may end its side after its close
      return;           // ours is still owed
    }
    // EOF or reset: without a close frame from the client, unless the
    // connection was already ending for another reason.
    finish(reason_.value_or(disconnect_reason::reset));
  }

  /// Whether reading stops until the session took more of its mailbox.
  bool should_pause() {
    if (phase_ != phase::open || inbound_bytes_.load() < inbound_limit)
      return false;
    paused_.store(true);
    // consumed() may have run between the load and the store: look again.
    return inbound_bytes_.load() >= inbound_limit || !paused_.exchange(false);
  }

  void resume() {
    if (phase_ != phase::done)
      on_readable({});
  }

  void on_bytes(std::string_view in) {
    auto arrival = steady_now_ns();
    beat_.heard(arrival);
    if (phase_ != phase::open && phase_ != phase::closing)
      return; // after the client's stream ended, bytes up to EOF are dropped
    while (phase_ == phase::open || phase_ == phase::closing) {
      auto event = reader_.next(in);
      if (!event)
        break;
      on_event(*event, arrival);
    }
  }

  /// A client message to the session; counted until it says consumed().
  void to_session(ws_event& ev, int64_t arrival) {
    if (ev.kind == ws_event::text) {
      inbound_bytes_.fetch_add(ev.payload.size() + envelope_bytes);
      caf::anon_send(session_, ws_text_atom::value, std::move(ev.payload),
                     arrival);
    } else {
      inbound_bytes_.fetch_add(envelope_bytes); // the payload is not sent
      caf::anon_send(session_, ws_binary_atom::value, arrival);
    }
  }

  void on_event(ws_event& ev, int64_t arrival) {
    switch (ev.kind) {
    case ws_event::text:
    case ws_event::binary:
      if (phase_ == phase::open)
        to_session(ev, arrival);
      return; // after our close frame, data is read and dropped
    case ws_event::ping:
      if (phase_ == phase::open)
        queue_control(op_pong, ev.payload);
      return;
    case ws_event::pong:
      return; // heard already
    case ws_event::close:
      if (phase_ == phase::open) {
        // Echo the client's code (RFC 6455 section 5.5.1) once the session
        // answered the frames it sent before it.
        end_stream(ev.code, {}, disconnect_reason::client_close);
      } else {
        drain(); // the answer to our close
      }
      return;
    case ws_event::fail:
      if (phase_ == phase::open)
        end_stream(ev.code, close_text(ev.code), reason_of_failure(ev.code));
      else
        drain();
      return;
    }
  }

  /// The client's stream is over. The session gets that behind the frames
  /// it has yet to handle, replies to them, then closes with `code`
  /// (RFC 6455 section 7.1.7: what is owed for earlier frames goes first).
  void end_stream(uint16_t code, std::string reason, disconnect_reason why) {
    phase_ = phase::ending;
    reason_ = why;
    ending_code_ = code;
    ending_text_ = reason;
    caf::anon_send(session_, ws_close_atom::value, code, std::move(reason),
                   why);
    arm_timer_after(srv_.chat.lim.handshake_timeout); // if it never answers
  }

  // -- writing ---------------------------------------------------------------

  void enqueue(frame f) {
    // After a close frame, sent or received, no data frame may follow.
    if ((phase_ != phase::open && phase_ != phase::ending) || out_.failed())
      return;
    out_.send_text(std::move(f.text));
    check_backlog();
  }

  /// Pongs count toward the backlog too: a client that pings and never
  /// reads is a slow consumer like any other.
  void queue_control(uint8_t opcode, std::string_view payload) {
    out_.send_frame(opcode, payload);
    check_backlog();
  }

  void check_backlog() {
    if (out_.backlog_bytes() > srv_.chat.lim.max_backlog_bytes)
      slow_consumer();
  }

  // -- heartbeat and deadlines -----------------------------------------------

  /// One timer per connection: the heartbeat while open, then the deadline
  /// of whatever the connection waits for.
  void arm_timer_after(std::chrono::steady_clock::duration after) {
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->on_timer();
    });
  }

  void arm_timer_at(int64_t steady_ns) {
    auto wait = std::chrono::nanoseconds(steady_ns - steady_now_ns());
    arm_timer_after(
        std::max<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(1)));
  }

  void on_timer() {
    switch (phase_) {
    case phase::open:
      break;
    case phase::ending: // the session never answered: close for it
      begin_close(ending_code_, ending_text_, *reason_);
      return;
    case phase::closing:
    case phase::draining:
    case phase::done:
      finish(reason_.value_or(disconnect_reason::reset)); // no answer
      return;
    }
    auto now = steady_now_ns();
    // Paused reading is our doing: the client's bytes wait in the kernel.
    if (paused_.load())
      beat_.heard(now);
    switch (beat_.due(now)) {
    case heartbeat::action::wait:
      break;
    case heartbeat::action::ping:
      queue_control(op_ping, {});
      break;
    case heartbeat::action::give_up:
      give_up();
      return;
    }
    if (phase_ == phase::open)
      arm_timer_at(beat_.next_check_ns());
  }

  /// Nothing from the client for the whole timeout. One that still has our
  /// frames waiting could not even read our ping in time: for a chat that is
  /// a slow consumer (1008). One that has nothing waiting is gone.
  void give_up() {
    log::debug("heartbeat timeout for '" + user_ + "'");
    if (out_.backlog_bytes() > 0 || out_.unacknowledged_bytes() > 0)
      slow_consumer();
    else
      finish(disconnect_reason::timeout);
  }

  // -- closing ---------------------------------------------------------------

  /// Stops taking frames; the close frame follows what is already queued.
  /// After the client's close or a broken stream the connection drains;
  /// otherwise the client's answer is awaited up to the handshake timeout.
  void begin_close(uint16_t code, std::string_view reason,
                   disconnect_reason why) {
    if (phase_ != phase::open && phase_ != phase::ending)
      return;
    bool stream_over = phase_ == phase::ending;
    accepting_.store(false, std::memory_order_release);
    reason_ = reason_.value_or(why);
    queue_close(code, reason);
    session_down(*reason_);
    if (stream_over) {
      drain();
      return;
    }
    phase_ = phase::closing;
    arm_timer_after(srv_.chat.lim.handshake_timeout);
  }

  void queue_close(uint16_t code, std::string_view reason) {
    out_.send_frame(op_close, ws_frame::close_payload(code, reason));
  }

  /// The client does not read fast enough: drop what is not yet handed to a
  /// write, end the session now and close with 1008 after the bytes being
  /// written; the deadline cuts the socket if even that never leaves.
  void slow_consumer() {
    if (phase_ != phase::open && phase_ != phase::ending)
      return;
    log::info("closing slow consumer '" + user_ + "'");
    out_.discard_queued();
    reason_ = disconnect_reason::slow_consumer;
    begin_close(close_code::policy, "slow consumer",
                disconnect_reason::slow_consumer);
  }

  /// The handshake is over or the stream failed: once our last frame has
  /// left, shut our side; the client then closes its side (the server
  /// closes TCP first, RFC 6455 section 7.1.1), bounded by the deadline.
  void drain() {
    if (phase_ == phase::draining || phase_ == phase::done)
      return;
    phase_ = phase::draining;
    accepting_.store(false, std::memory_order_release);
    arm_timer_after(srv_.chat.lim.handshake_timeout);
    out_.when_drained([self = shared_from_this()] {
      beast::error_code ignored;
      if (self->phase_ != phase::draining)
        return;
      if (self->peer_eof_) // both sides are done
        self->finish(self->reason_.value_or(disconnect_reason::reset));
      else
        self->out_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
    if (paused_.exchange(false))
      wait_readable(); // EOF is awaited now, whatever the mailbox holds
  }

  /// Closes the socket (cancelling its waits) and tells the session.
  void finish(disconnect_reason why) {
    if (phase_ == phase::done)
      return;
    phase_ = phase::done;
    accepting_.store(false, std::memory_order_release);
    beast::error_code ignored;
    out_.socket().close(ignored);
    timer_.cancel();
    session_down(reason_.value_or(why));
    if (std::exchange(counted_, false))
      srv_.chat.stats.connections.fetch_sub(1);
  }

  /// Tells the session, once, that its client is gone (or going: the close
  /// handshake may still run), and counts why.
  void session_down(disconnect_reason why) {
    if (down_ || !session_)
      return;
    down_ = true;
    srv_.chat.stats.add(why);
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

} // namespace

void start_websocket(tcp::socket socket, connection_slot slot,
                     std::string_view key, std::string user,
                     std::string pipelined, server_context& srv) {
  std::make_shared<ws_connection>(std::move(socket), std::move(slot),
                                  std::move(user), srv)
      ->start(key, std::move(pipelined));
}

} // namespace chat::net
