#include "chaos_nodes.hpp"

namespace bench {

using namespace std::chrono_literals;

node_chaos::node_chaos(local_cluster& c, int victim, double duration,
                       std::function<void(const std::string&)> progress)
    : c_(c), victim_(victim), progress_(std::move(progress)),
      start_(steady::now()) {
  thread_ = std::thread{[this, duration] { run(duration); }};
}

node_chaos::~node_chaos() {
  join();
}

void node_chaos::join() {
  if (thread_.joinable())
    thread_.join();
}

std::vector<node_event> node_chaos::events() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return events_;
}

bool node_chaos::in_fault_window(
    steady::time_point sent, steady::time_point answered,
    const std::vector<steady::time_point>& resets) const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto [from, to] : windows_) {
    // Members re-attach to a moved room one by one after the view changed;
    // the room takes messages meanwhile (PROTOCOL.md: a client treats
    // `reset` like a fresh welcome). The member's last reset counts: a
    // fault that follows another closely moves its room twice (a blackhole
    // detected, then healed at once), and the first reset is the earlier
    // fault's.
    auto until = to;
    if (to != steady::time_point::max())
      for (auto t : resets)
        if (t >= from && t <= to + 2s)
          until = std::max(until, t);
    if (sent <= until && answered >= from)
      return true;
  }
  return false;
}

void node_chaos::fault(const std::string& what,
                       const std::function<void()>& act,
                       const std::function<bool()>& settled) {
  auto at = steady::now();
  unsettled_ = true;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    events_.push_back(
        {what, victim_, std::chrono::duration<double>(at - start_).count()});
    windows_.push_back({at, steady::time_point::max()});
  }
  progress_(what + " " + c_.name(victim_));
  try {
    act();
  } catch (const std::exception& e) {
    progress_(what + " failed: " + e.what());
  }
  // The view is polled: detection is known to within a poll (~20 ms).
  auto deadline =
      at +
      std::chrono::duration_cast<steady::duration>(
          std::chrono::duration<double>(3 * c_.options().node_timeout + 10));
  bool ok = false;
  while (!(ok = settled()) && steady::now() < deadline)
    std::this_thread::sleep_for(20ms);
  auto done = steady::now();
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (ok)
      events_.back().settled_s =
          std::chrono::duration<double>(done - at).count();
    windows_.back().second = done;
  }
  unsettled_ = false;
}

void node_chaos::run(double duration) {
  int n = c_.size();
  std::vector<int> survivors, all;
  for (int i = 0; i < n; ++i) {
    all.push_back(i);
    if (i != victim_)
      survivors.push_back(i);
  }
  auto sees = [this](const std::vector<int>& nodes, int k) {
    for (int i : nodes)
      if (c_.view(i) != k)
        return false;
    return true;
  };
  auto at = [&](double share) {
    std::this_thread::sleep_until(
        start_ + std::chrono::duration_cast<steady::duration>(
                     std::chrono::duration<double>(share * duration)));
  };
  // A cut resets the links (the peers see them close at once); a
  // blackhole keeps them open and silent (only the heartbeat finds it).
  auto lost = [&] { return sees(survivors, n - 1); };
  auto whole = [&] { return sees(all, n); };
  // Detected once both sides dropped each other.
  auto split = [&] { return sees(survivors, n - 1) && sees({victim_}, 1); };
  auto heal = [&] { c_.heal(victim_); };
  struct step {
    double at; // share of the duration
    const char* what;
    std::function<void()> act;
    std::function<bool()> settled;
  };
  const step schedule[] = {
      {0.10, "kill", [&] { c_.kill(victim_); }, lost},
      {0.25, "restart", [&] { c_.restart(victim_); }, whole},
      {0.40, "cut", [&] { c_.cut(victim_); }, split},
      {0.50, "heal", heal, whole},
      {0.65, "blackhole", [&] { c_.blackhole(victim_); }, split},
      {0.80, "heal", heal, whole},
  };
  for (const auto& s : schedule) {
    at(s.at);
    fault(s.what, s.act, s.settled);
  }
}

} // namespace bench
