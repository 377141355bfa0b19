// The chaos runner's liveness check: how long a silent client (one that
// finished its upgrade and then sent nothing) stays logged in. A watcher in
// the lobby, where every fresh login lands, times each silent name from its
// last byte to its presence `leave`; PROTOCOL.md wants it gone within the
// heartbeat timeout whatever else the server is doing.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ws_client.hpp"

namespace bench {

class silent_watch {
public:
  /// `watcher` is logged in and in the lobby.
  explicit silent_watch(std::unique_ptr<client::ws_client> watcher);
  ~silent_watch();

  /// `name`, logged in and in the lobby, sent its last byte just now.
  void silent(const std::string& name);
  /// Waits up to `wait` for every watched name's leave, then stops.
  /// Seconds from each silent name's last byte to its leave; a name still
  /// logged in is missing.
  std::map<std::string, double> stop(std::chrono::milliseconds wait = {});
  /// How many names were watched.
  std::size_t watched() const;

private:
  void run();

  std::unique_ptr<client::ws_client> watcher_;
  mutable std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> since_;
  std::map<std::string, double> logged_out_after_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace bench
