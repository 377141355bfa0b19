// Response promises an actor holds while it asks another actor, and how
// each fails if the holder ends first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace chat {

/// CAF 0.17 sends nothing for a promise that ends with its actor, and a
/// requester that awaits the answer handles nothing else meanwhile, not
/// even an exit message: it would never end, and neither would the
/// process's stop. So an actor holds each promise here until it delivers
/// it (settle), and fails those left before it ends (fail_all).
class held_promises {
public:
  using key = uint64_t;

  template <class Promise> key hold(Promise promise) {
    auto k = next_++;
    fails_.emplace(
        k, [promise](const caf::error& err) mutable { promise.deliver(err); });
    return k;
  }

  /// The promise was delivered: nothing to fail any more.
  void settle(key k) { fails_.erase(k); }

  /// Fails every promise still held with `request_receiver_down`: what CAF
  /// answers for the requests still in a dead actor's mailbox.
  void fail_all() {
    auto fails = std::move(fails_);
    fails_.clear();
    for (auto& [k, fail] : fails)
      fail(caf::make_error(caf::sec::request_receiver_down));
  }

private:
  key next_ = 0;
  std::map<key, std::function<void(const caf::error&)>> fails_;
};

} // namespace chat
