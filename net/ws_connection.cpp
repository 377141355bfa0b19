#include "net/ws_connection.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "actors/log.hpp"
#include "actors/session.hpp"
#include "net/batching_socket.hpp"
#include "net/beast.hpp"

namespace chat::net {

namespace {

constexpr uint16_t close_going_away = 1001;
constexpr uint16_t close_policy = 1008;
constexpr uint16_t close_internal_error = 1011;

/// Maps a failed read to why the connection ended.
disconnect_reason reason_of(const beast::error_code& ec) {
  if (ec == websocket::error::closed)
    return disconnect_reason::client_close;
  if (ec == beast::error::timeout)
    return disconnect_reason::timeout;
  if (ec == websocket::error::message_too_big)
    return disconnect_reason::too_big;
  if (ec == websocket::error::bad_frame_payload)
    return disconnect_reason::bad_utf8;
  return disconnect_reason::reset;
}

/// One WebSocket connection: owns the stream (on its own strand), runs the
/// read loop into the session actor and queues what the session sends as
/// ready-made frames behind a bounded backlog (see batching_socket.hpp).
class ws_connection final : public outbound,
                            public std::enable_shared_from_this<ws_connection> {
public:
  ws_connection(tcp::socket&& socket, connection_slot slot, std::string user,
                server_context& srv)
      : strand_(*socket.get_executor().target<connection_strand>()),
        ws_(std::move(socket)), slot_(std::move(slot)), user_(std::move(user)),
        srv_(srv) {}

  void start(upgrade_request req) {
    const auto& lim = srv_.chat.lim;
    // Chat frames are small and latency matters: no Nagle delay.
    beast::error_code ignored;
    ws_.next_layer().next_layer().set_option(tcp::no_delay(true), ignored);
    ws_.next_layer().set_owner(weak_from_this());
    ws_.next_layer().count_writes_in(srv_.chat.stats.socket_writes);
    ws_.set_option(websocket::stream_base::timeout{lim.handshake_timeout,
                                                   lim.heartbeat_timeout,
                                                   /*keep_alive_pings=*/true});
    ws_.set_option(
        websocket::stream_base::decorator([](websocket::response_type& res) {
          res.set(http::field::server, "actorchat");
        }));
    ws_.read_message_max(lim.max_frame_bytes);
    ws_.auto_fragment(false);
    ws_.text(true);
    // Kept until the upgrade completes (Beast reads it), then freed.
    req_ = std::make_unique<upgrade_request>(std::move(req));
    // Complete the upgrade before anything can be written.
    ws_.async_accept(*req_, [self = shared_from_this()](beast::error_code ec) {
      self->on_accept(ec);
    });
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
      self->begin_close(code, std::move(reason), why);
    });
  }

private:
  void on_accept(beast::error_code ec) {
    req_.reset();
    if (ec) {
      log::debug("websocket upgrade failed: " + ec.message());
      return;
    }
    srv_.chat.stats.connections.fetch_add(1);
    session_ = spawn_session(srv_.system, srv_.registry, weak_from_this(),
                             user_, srv_.chat);
    do_read();
  }

  // -- reading
  // -------------------------------------------------------------------

  /// An idle connection waits with a small buffer, since Beast sets the
  /// buffer aside before any byte arrives; the rest of a longer message is
  /// read with room for all of it.
  void do_read() {
    constexpr std::size_t first_read_bytes = 256;
    ws_.async_read_some(
        buffer_, ws_.is_message_done() ? first_read_bytes : 0,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      closing_ = true;
      session_down(server_reason_.value_or(reason_of(ec)));
      if (cut_timer_)
        cut_timer_->cancel();
      return;
    }
    if (!ws_.is_message_done()) {
      do_read();
      return;
    }
    auto arrival = steady_now_ns();
    if (ws_.got_text())
      caf::anon_send(session_, ws_text_atom::value,
                     beast::buffers_to_string(buffer_.data()), arrival);
    else
      caf::anon_send(session_, ws_binary_atom::value, arrival);
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 1024)
      buffer_.shrink_to_fit(); // a long message's buffer is not kept
    do_read();
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

  // -- writing
  // -------------------------------------------------------------------

  void enqueue(frame f) {
    // After a close frame, sent or received, no data frame may follow.
    if (closing_ || !ws_.is_open())
      return;
    auto& out = ws_.next_layer();
    out.append_text_frame(f.str());
    if (out.backlog_bytes() > srv_.chat.lim.max_backlog_bytes) {
      slow_consumer();
      return;
    }
    out.flush();
  }

  // -- closing
  // -------------------------------------------------------------------

  /// Stops taking frames; the close frame follows what is already queued.
  void begin_close(uint16_t code, std::string reason, disconnect_reason why) {
    if (closing_)
      return;
    closing_ = true;
    server_reason_ = why;
    if (!ws_.is_open())
      return; // a close handshake is already under way
    websocket::close_reason cr{static_cast<websocket::close_code>(code),
                               reason};
    ws_.async_close(cr, [self = shared_from_this()](beast::error_code) {
      // The pending read completes with the outcome and ends the session.
    });
  }

  /// The client does not read fast enough: drop what is not yet handed to a
  /// write, end the session now, close with 1008 after the batch being
  /// written, and cut the socket if even that never leaves.
  void slow_consumer() {
    log::info("closing slow consumer '" + user_ + "'");
    ws_.next_layer().discard_queued();
    begin_close(close_policy, "slow consumer",
                disconnect_reason::slow_consumer);
    session_down(disconnect_reason::slow_consumer);
    cut_timer_ = std::make_unique<asio::steady_timer>(
        strand_, srv_.chat.lim.handshake_timeout);
    cut_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      beast::error_code ignored;
      if (!ec)
        self->ws_.next_layer().next_layer().close(ignored);
    });
  }

  // The stream's executor, by its concrete type: posting through it skips
  // the type-erased executor on every frame.
  connection_strand strand_;
  // Not beast::tcp_stream: the WebSocket stream has its own timers.
  // Without permessage-deflate support (PROTOCOL.md): a smaller stream.
  websocket::stream<batching_socket, /*deflateSupported=*/false> ws_;
  connection_slot slot_;
  std::unique_ptr<asio::steady_timer> cut_timer_; // only slow consumers
  beast::flat_buffer buffer_;
  std::unique_ptr<upgrade_request> req_;
  std::string user_;
  server_context& srv_;
  session_actor session_;

  bool closing_ = false; // no more frames are taken
  std::optional<disconnect_reason> server_reason_;
  bool down_ = false; // the session was told
};

} // namespace

void start_websocket(tcp::socket socket, connection_slot slot,
                     upgrade_request req, std::string user,
                     server_context& srv) {
  std::make_shared<ws_connection>(std::move(socket), std::move(slot),
                                  std::move(user), srv)
      ->start(std::move(req));
}

} // namespace chat::net
