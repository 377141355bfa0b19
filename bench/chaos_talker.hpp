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
  std::vector<long> lost_seqs; // the first few counted as lost
};

/// A member of the talker's room that reads all along, so that it knows
/// when each message and each `presence reset` of the room arrived.
class observer {
public:
  explicit observer(std::unique_ptr<client::ws_client> c);
  ~observer();

  /// Reads on until message `last` arrived (or `wait` passed), then stops.
  void stop(long last, std::chrono::milliseconds wait);
  /// Valid after stop(): sequence numbers in arrival order.
  const std::vector<long>& seen() const { return seen_; }
  /// Valid after stop(): when a `presence reset` arrived (the member
  /// re-attached to its room, e.g. after the room moved to another node).
  const std::vector<std::chrono::steady_clock::time_point>& resets() const {
    return resets_;
  }

private:
  void run();

  std::unique_ptr<client::ws_client> client_;
  std::atomic<bool> stop_{false}, done_{false};
  std::atomic<long> last_{-2}; // -2: read until told
  std::vector<long> seen_;
  std::vector<std::chrono::steady_clock::time_point> resets_;
  std::thread thread_;
};

/// Stops `obs` once it holds the last accepted message (or 10 s pass) and
/// checks what it got against `records`; a message for which
/// `excused(seq)` holds may be missing.
observer_check check_observer(observer& obs,
                              const std::vector<talk_record>& records,
                              const std::function<bool(long)>& excused);

} // namespace bench
