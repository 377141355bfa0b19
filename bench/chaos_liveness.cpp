#include "chaos_liveness.hpp"

namespace bench {

using steady = std::chrono::steady_clock;

silent_watch::silent_watch(std::unique_ptr<client::ws_client> watcher)
    : watcher_(std::move(watcher)) {
  thread_ = std::thread{[this] { run(); }};
}

silent_watch::~silent_watch() {
  stop();
}

void silent_watch::silent(const std::string& name) {
  std::lock_guard<std::mutex> lock{mutex_};
  since_[name] = steady::now();
}

std::size_t silent_watch::watched() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return since_.size();
}

std::map<std::string, double>
silent_watch::stop(std::chrono::milliseconds wait) {
  auto deadline = steady::now() + wait;
  while (steady::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock{mutex_};
      if (logged_out_after_.size() >= since_.size())
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  std::lock_guard<std::mutex> lock{mutex_};
  return logged_out_after_;
}

void silent_watch::run() {
  while (!stop_) {
    std::optional<client::json> f;
    try {
      f = watcher_->recv(std::chrono::milliseconds{100});
    } catch (const std::exception&) {
      return; // the watcher's connection is gone: the names left missing
    }
    if (!f || f->value("type", "") != "presence" ||
        f->value("event", "") != "leave" || f->value("room", "") != "lobby")
      continue;
    auto at = steady::now();
    std::lock_guard<std::mutex> lock{mutex_};
    auto it = since_.find(f->value("user", ""));
    if (it != since_.end() && !logged_out_after_.count(it->first))
      logged_out_after_[it->first] =
          std::chrono::duration<double>(at - it->second).count();
  }
}

} // namespace bench
