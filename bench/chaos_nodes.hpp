// Node faults for `actorchat-bench chaos --cluster N`: during the run one
// node (the victim) is SIGKILLed and restarted, then its links are cut and
// healed, then blackholed and healed, while the other nodes serve the
// talker and the observers. Each
// fault's detection (the survivors' view shrinks) and each rejoin (every
// node sees all again) is timed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "local_cluster.hpp"

namespace bench {

struct node_event {
  std::string what; // "kill", "restart", "cut", "heal"
  int node = -1;
  double at_s = 0;       // since the start of the run
  double settled_s = -1; // until detected (kill, cut) or rejoined; -1: never
};

class node_chaos {
public:
  using steady = std::chrono::steady_clock;

  /// Starts the schedule at once: kill at 10 % of `duration`, restart at
  /// 25 %, cut at 40 %, heal at 50 %, blackhole at 65 %, heal at 80 %, each
  /// once the one before settled.
  node_chaos(local_cluster& c, int victim, double duration,
             std::function<void(const std::string&)> progress);
  ~node_chaos();

  /// Waits for the schedule's end.
  void join();
  /// A fault not detected, or a rejoin not complete, yet.
  bool unsettled() const { return unsettled_.load(); }
  std::vector<node_event> events() const;
  /// A message sent at `sent` and answered at `answered` was in flight
  /// while a fault had not settled for a member that got `presence reset`
  /// at `resets`: the cluster may have lost it for that member. A fault
  /// settles at detection (or rejoin), and for a member whose room moved,
  /// once it re-attached (its last reset within 2 s of detection).
  bool in_fault_window(steady::time_point sent, steady::time_point answered,
                       const std::vector<steady::time_point>& resets) const;

private:
  void run(double duration);
  /// Does `act`, then waits until `settled()` holds; records both.
  void fault(const std::string& what, const std::function<void()>& act,
             const std::function<bool()>& settled);

  local_cluster& c_;
  int victim_;
  std::function<void(const std::string&)> progress_;
  steady::time_point start_;
  std::atomic<bool> unsettled_{false};
  mutable std::mutex mtx_;
  std::vector<node_event> events_;
  std::vector<std::pair<steady::time_point, steady::time_point>> windows_;
  std::thread thread_;
};

} // namespace bench
