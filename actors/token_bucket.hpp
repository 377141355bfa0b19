// The rate limit of one session: a token bucket over every client frame,
// timed by the frames' arrival (so a frame that waited in the mailbox is
// judged by when the client sent it, not by when it was handled).
#pragma once

#include <algorithm>
#include <cstdint>

namespace chat {

class token_bucket {
public:
  /// Refills `per_second` tokens a second, holds at most `burst`; full at
  /// the start.
  token_bucket(double per_second, double burst)
      : per_second_(per_second), burst_(burst), tokens_(burst) {}

  /// Takes a token for a frame that arrived at `arrival_ns` (steady clock);
  /// false if the bucket is empty. Arrivals out of order never refill twice.
  bool take(int64_t arrival_ns) {
    auto elapsed = std::max<int64_t>(0, arrival_ns - last_refill_ns_);
    last_refill_ns_ = std::max(last_refill_ns_, arrival_ns);
    tokens_ = std::min(burst_, tokens_ + elapsed * 1e-9 * per_second_);
    if (tokens_ < 1)
      return false;
    tokens_ -= 1;
    return true;
  }

private:
  double per_second_;
  double burst_;
  double tokens_;
  int64_t last_refill_ns_ = 0;
};

} // namespace chat
