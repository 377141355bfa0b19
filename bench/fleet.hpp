// Many WebSocket clients on a few threads, for actorchat-bench load and idle.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server_url.hpp"

namespace bench {

/// Delivery latency histogram: 10 µs buckets up to 1 s, lock-free.
class latency_histogram {
public:
  void record(int64_t ns);
  /// The q-quantile (0..1) in milliseconds; 0 without samples.
  double quantile_ms(double q) const;
  uint64_t count() const;
  double max_ms() const;
  void reset();

private:
  static constexpr std::size_t buckets = 100'000;
  std::unique_ptr<std::atomic<uint32_t>[]> counts_ {
    new std::atomic<uint32_t>[ buckets ]()
  };
  std::atomic<int64_t> max_ns_{0};
};

/// What every frame the fleet receives is checked for.
struct fleet_stats {
  std::atomic<uint64_t> connected{0};
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> closed{0};
  std::atomic<uint64_t> deliveries{0}; // `message` frames received
  std::atomic<uint64_t> errors{0};     // `error` frames received
  latency_histogram latency;           // from the send time in `msg`
};

/// N clients logged in as PREFIX0..PREFIX(N-1), spread over `rooms` rooms
/// (room 0 is the lobby) and round-robin over `servers` (the nodes of one
/// cluster, or one server), driven by `threads` I/O threads.
class fleet {
public:
  fleet(std::vector<server_url> servers, std::string prefix, int rooms,
        int threads);
  ~fleet();

  /// Connects `count` clients, at most `per_second` new ones a second;
  /// returns once every attempt finished or `timeout` passed.
  void connect(int count, double per_second, std::chrono::seconds timeout);
  /// Sends `text` as client `index` (thread-safe).
  void send(int index, std::string text);
  /// Closes every connection and stops the threads.
  void stop();

  int size() const;
  int room_of(int index) const;
  /// Index into `servers` of client `index`'s server.
  int server_of(int index) const;
  /// Clients logged in, per server.
  std::vector<uint64_t> connected_per_server() const;
  std::string name_of(int index) const;
  fleet_stats& stats();

  /// Steady-clock nanoseconds, the time base of the `msg` timestamps.
  static int64_t now_ns();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace bench
