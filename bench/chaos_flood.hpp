// Load beside the chaos runner's faults, so that liveness is checked while
// the server is busy: senders broadcast large messages into a room of their
// own at a fixed rate, and slow readers in that room read 4 KiB every
// 100 ms and answer the pings they reach (the server may close them as slow
// consumers, which is what it should do with a reader that falls behind).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server_url.hpp"

namespace bench {

struct flood_options {
  int senders = 0;   // 0: no flood
  double rate = 100; // messages a second, per sender
  int bytes = 4000;  // per message
  int slow_readers = 0;
};

struct flood_report {
  long sent = 0;    // messages the senders sent
  long refused = 0; // answered with an error (e.g. rate_limited)
  /// How the server closed slow readers, by close code ("closed": without
  /// a close frame; "open": kept to the end).
  std::map<std::string, int> slow_readers;
};

class flood {
public:
  /// Logs the senders and the slow readers into `room`, spread over
  /// `servers`, and starts sending.
  flood(const std::vector<server_url>& servers, const std::string& room,
        const std::string& prefix, const flood_options& opts);
  ~flood();

  /// Stops sending and reading; drains the slow readers for the report.
  flood_report stop();

private:
  void halt(); // ends both threads; nothing else
  void send_loop();
  void read_loop();

  struct members;
  std::unique_ptr<members> m_;
  flood_options opts_;
  std::atomic<bool> stop_{false};
  std::atomic<long> sent_{0}, refused_{0};
  std::thread sender_, reader_;
};

} // namespace bench
