// A WebSocket connection's end: the heartbeat and deadlines on its one
// timer, and the close handshake in both directions (RFC 6455 section 7).
#include <algorithm>

#include "actors/log.hpp"
#include "net/ws_connection_impl.hpp"

namespace chat::net::detail {

void ws_connection::arm_timer_after(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec)
      self->on_timer();
  });
}

void ws_connection::arm_timer_at(int64_t steady_ns) {
  auto wait = std::chrono::nanoseconds(steady_ns - steady_now_ns());
  arm_timer_after(
      std::max<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(1)));
}

void ws_connection::on_timer() {
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

void ws_connection::give_up() {
  log::debug("heartbeat timeout for '" + user_ + "'");
  if (out_.backlog_bytes() > 0 || out_.unacknowledged_bytes() > 0)
    slow_consumer();
  else
    finish(disconnect_reason::timeout);
}

void ws_connection::begin_close(uint16_t code, std::string_view reason,
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

void ws_connection::queue_close(uint16_t code, std::string_view reason) {
  out_.send_frame(op_close, ws_frame::close_payload(code, reason));
}

void ws_connection::slow_consumer() {
  if (phase_ != phase::open && phase_ != phase::ending)
    return;
  log::info("closing slow consumer '" + user_ + "'");
  out_.discard_queued();
  reason_ = disconnect_reason::slow_consumer;
  begin_close(close_code::policy, "slow consumer",
              disconnect_reason::slow_consumer);
}

void ws_connection::drain() {
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

void ws_connection::finish(disconnect_reason why) {
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

void ws_connection::session_down(disconnect_reason why) {
  if (down_ || !session_)
    return;
  down_ = true;
  srv_.chat.stats.add(why);
  caf::anon_send(session_, ws_down_atom::value, std::string{to_string(why)});
}

} // namespace chat::net::detail
