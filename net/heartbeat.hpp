// When to ping a quiet client and when to give up on it, from the time its
// last byte arrived. Only the client's own bytes count: its kernel
// acknowledges our frames whether or not its application reads them, so TCP
// says nothing about the client being alive. No I/O: the connection feeds
// it times, a unit test feeds it made-up ones.
#pragma once

#include <chrono>
#include <cstdint>

namespace chat::net {

class heartbeat {
public:
  enum class action { wait, ping, give_up };

  /// A client silent for `timeout` is given up; at half of it, it is pinged.
  heartbeat(std::chrono::nanoseconds timeout, int64_t now_ns)
      : timeout_ns_(timeout.count()), last_heard_ns_(now_ns) {}

  /// Bytes from the client arrived at `now_ns`.
  void heard(int64_t now_ns) noexcept {
    last_heard_ns_ = now_ns;
    pinged_ = false;
  }

  /// What to do at `now_ns`; a ping is asked for once per silence.
  action due(int64_t now_ns) noexcept {
    auto silent = now_ns - last_heard_ns_;
    if (silent >= timeout_ns_)
      return action::give_up;
    if (!pinged_ && silent >= timeout_ns_ / 2) {
      pinged_ = true;
      return action::ping;
    }
    return action::wait;
  }

  /// When due() may next ask for something.
  int64_t next_check_ns() const noexcept {
    return last_heard_ns_ + (pinged_ ? timeout_ns_ : timeout_ns_ / 2);
  }

private:
  int64_t timeout_ns_;
  int64_t last_heard_ns_;
  bool pinged_ = false;
};

} // namespace chat::net
