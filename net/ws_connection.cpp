// A WebSocket connection's start, its sending (from any thread) and its
// reading of the client's frames into the session actor.
#include "net/ws_connection_impl.hpp"

#include <boost/asio/post.hpp>

namespace chat::net::detail {

void ws_connection::start(std::string_view key, std::string pipelined) {
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
  session_ = spawn_session(srv_.system, srv_.registry, weak_from_this(), user_,
                           srv_.chat);
  arm_timer_at(beat_.next_check_ns());
  if (!pipelined.empty())
    on_bytes(pipelined);
  if (phase_ != phase::done && !paused_)
    wait_readable();
}

bool ws_connection::send(frame f) {
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

void ws_connection::close(uint16_t code, std::string reason,
                          disconnect_reason why) {
  asio::post(strand_, [self = shared_from_this(), code, why,
                       reason = std::move(reason)]() mutable {
    self->begin_close(code, reason, why);
  });
}

void ws_connection::consumed(std::size_t payload_bytes) {
  auto bytes = payload_bytes + envelope_bytes;
  auto left = inbound_bytes_.fetch_sub(bytes) - bytes;
  if (left < inbound_limit && paused_.exchange(false))
    asio::post(strand_, [self = shared_from_this()] { self->resume(); });
}

void ws_connection::wait_readable() {
  out_.socket().async_wait(tcp::socket::wait_read,
                           [self = shared_from_this()](beast::error_code ec) {
                             self->on_readable(ec);
                           });
}

void ws_connection::on_readable(beast::error_code ec) {
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

bool ws_connection::should_pause() {
  if (phase_ != phase::open || inbound_bytes_.load() < inbound_limit)
    return false;
  paused_.store(true);
  // consumed() may have run between the load and the store: look again.
  return inbound_bytes_.load() >= inbound_limit || !paused_.exchange(false);
}

void ws_connection::resume() {
  if (phase_ != phase::done)
    on_readable({});
}

void ws_connection::on_bytes(std::string_view in) {
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

void ws_connection::to_session(ws_event& ev, int64_t arrival) {
  if (ev.kind == ws_event::text) {
    inbound_bytes_.fetch_add(ev.payload.size() + envelope_bytes);
    caf::anon_send(session_, ws_text_atom::value, std::move(ev.payload),
                   arrival);
  } else {
    inbound_bytes_.fetch_add(envelope_bytes); // the payload is not sent
    caf::anon_send(session_, ws_binary_atom::value, arrival);
  }
}

void ws_connection::on_event(ws_event& ev, int64_t arrival) {
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

void ws_connection::end_stream(uint16_t code, std::string reason,
                               disconnect_reason why) {
  phase_ = phase::ending;
  reason_ = why;
  ending_code_ = code;
  ending_text_ = reason;
  caf::anon_send(session_, ws_close_atom::value, code, std::move(reason), why);
  arm_timer_after(srv_.chat.lim.handshake_timeout); // if it never answers
}

void ws_connection::enqueue(frame f) {
  // After a close frame, sent or received, no data frame may follow.
  if ((phase_ != phase::open && phase_ != phase::ending) || out_.failed())
    return;
  out_.send_text(std::move(f.text));
  check_backlog();
}

void ws_connection::queue_control(uint8_t opcode, std::string_view payload) {
  out_.send_frame(opcode, payload);
  check_backlog();
}

void ws_connection::check_backlog() {
  if (out_.backlog_bytes() > srv_.chat.lim.max_backlog_bytes)
    slow_consumer();
}

} // namespace chat::net::detail

namespace chat::net {

void start_websocket(tcp::socket socket, connection_slot slot,
                     std::string_view key, std::string user,
                     std::string pipelined, server_context& srv) {
  std::make_shared<detail::ws_connection>(std::move(socket), std::move(slot),
                                          std::move(user), srv)
      ->start(key, std::move(pipelined));
}

} // namespace chat::net
