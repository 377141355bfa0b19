// The two sides of the chaos runner's message check: a talker that says
// numbered messages at a steady rate and records how the server answered
// each, and the observers' check that every accepted message arrived once
// and in the talker's order.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ws_client.hpp"

namespace bench {

/// What became of one talker message.
struct talk_record {
  enum state_t { pending, accepted, refused };
  state_t state = pending;
  std::chrono::steady_clock::time_point sent_at, answered_at;
};

/// Sends "chaos:<n>" at a steady rate until stop(). The session answers a
/// client's frames in order, so each answer (the echo of a message, or an
/// error) belongs to the oldest message not yet answered; one left without
/// an answer when a later one is echoed was lost.
class talker {
public:
  talker(std::unique_ptr<client::ws_client> c, double rate);
  ~talker();

  /// Stops sending and waits (up to `wait`) for the answers still due.
  void stop(std::chrono::milliseconds wait = std::chrono::seconds{5});

  long sent() const { return sent_.load(); }
  /// Valid after stop(); index = sequence number.
  const std::vector<talk_record>& records() const { return records_; }
  long count(talk_record::state_t s) const;

private:
  void run();
  void take(const std::optional<client::json>& f);

  std::unique_ptr<client::ws_client> client_;
  double rate_;
  std::atomic<bool> stop_{false};
  std::atomic<long> sent_{0};
  std::vector<talk_record> records_; // the talker thread's until stop()
  std::size_t oldest_pending_ = 0;
  std::thread thread_;
};

/// Sequence number of a talker message frame, or -1.
long chaos_seq_of(const client::json& frame);

struct observer_check {
  long lost = 0;         // accepted, checked, never received
  long lost_excused = 0; // accepted but excused (in flight at a node fault)
  long out_of_order = 0; // received at or below an earlier one (incl. twice)
  long received = 0;
};

/// Reads `obs` until it holds the last accepted message (or 10 s pass) and
/// checks it against `records`; a message for which `excused(seq)` holds
/// may be missing.
observer_check check_observer(client::ws_client& obs,
                              const std::vector<talk_record>& records,
                              const std::function<bool(long)>& excused);

} // namespace bench
