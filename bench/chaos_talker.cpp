#include "chaos_talker.hpp"

#include <set>

namespace bench {

using namespace std::chrono_literals;
using client::json;
using steady = std::chrono::steady_clock;

long chaos_seq_of(const json& frame) {
  if (frame.value("type", "") != "message")
    return -1;
  auto msg = frame.value("msg", "");
  if (msg.rfind("chaos:", 0) != 0)
    return -1;
  return std::stol(msg.substr(6));
}

talker::talker(std::unique_ptr<client::ws_client> c, double rate)
    : client_(std::move(c)), rate_(rate) {
  thread_ = std::thread{[this] { run(); }};
}

talker::~talker() {
  stop(0ms);
}

void talker::stop(std::chrono::milliseconds wait) {
  if (!thread_.joinable())
    return;
  stop_ = true;
  thread_.join();
  auto deadline = steady::now() + wait;
  while (oldest_pending_ < records_.size() && steady::now() < deadline)
    take(client_->recv(100ms));
}

long talker::count(talk_record::state_t s) const {
  long n = 0;
  for (auto& r : records_)
    n += r.state == s ? 1 : 0;
  return n;
}

void talker::run() {
  auto period = std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double>(1.0 / rate_));
  auto next = steady::now();
  while (!stop_) {
    records_.push_back({talk_record::pending, steady::now(), {}});
    try {
      client_->send_json(
          {{"type", "say"}, {"msg", "chaos:" + std::to_string(sent_.load())}});
    } catch (const std::exception&) {
      // The connection is gone: what is left unanswered counts as lost.
      records_.pop_back();
      return;
    }
    ++sent_;
    // On schedule, not after the previous send: a slow send is caught up.
    next += period;
    while (steady::now() < next && !stop_)
      take(client_->recv(std::chrono::duration_cast<std::chrono::milliseconds>(
          next - steady::now())));
  }
}

void talker::take(const std::optional<json>& f) {
  if (!f)
    return;
  auto now = steady::now();
  if (auto seq = chaos_seq_of(*f); seq >= 0) {
    auto i = static_cast<std::size_t>(seq);
    if (i >= records_.size() || records_[i].state != talk_record::pending)
      return;
    records_[i].state = talk_record::accepted;
    records_[i].answered_at = now;
    // Anything older still unanswered never will be: it stays pending.
    oldest_pending_ = std::max(oldest_pending_, i + 1);
  } else if (f->value("type", "") == "error" &&
             oldest_pending_ < records_.size()) {
    records_[oldest_pending_].state = talk_record::refused;
    records_[oldest_pending_].answered_at = now;
    ++oldest_pending_;
  }
}

observer::observer(std::unique_ptr<client::ws_client> c)
    : client_(std::move(c)) {
  thread_ = std::thread{[this] { run(); }};
}

observer::~observer() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void observer::run() {
  while (!stop_) {
    auto l = last_.load();
    if (l != -2 && (l < 0 || (!seen_.empty() && seen_.back() >= l)))
      break;
    auto f = client_->recv(100ms);
    if (!f)
      continue;
    if (auto seq = chaos_seq_of(*f); seq >= 0)
      seen_.push_back(seq);
    else if (f->value("type", "") == "presence" &&
             f->value("event", "") == "reset")
      resets_.push_back(steady::now());
  }
  done_ = true;
}

void observer::stop(long last, std::chrono::milliseconds wait) {
  last_ = last;
  auto deadline = steady::now() + wait;
  while (!done_ && steady::now() < deadline) // it ends once `last` arrived
    std::this_thread::sleep_for(20ms);
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

observer_check check_observer(observer& obs,
                              const std::vector<talk_record>& records,
                              const std::function<bool(long)>& excused) {
  observer_check r;
  long last = -1;
  for (std::size_t i = 0; i < records.size(); ++i)
    if (records[i].state == talk_record::accepted)
      last = static_cast<long>(i);
  obs.stop(last, 10s);
  const auto& seen = obs.seen();
  r.received = static_cast<long>(seen.size());
  std::set<long> got(seen.begin(), seen.end());
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto seq = static_cast<long>(i);
    if (records[i].state != talk_record::accepted || got.count(seq))
      continue;
    if (excused(seq)) {
      ++r.lost_excused;
    } else {
      ++r.lost;
      if (r.lost_seqs.size() < 5)
        r.lost_seqs.push_back(seq);
    }
  }
  for (std::size_t i = 1; i < seen.size(); ++i)
    r.out_of_order += seen[i] <= seen[i - 1] ? 1 : 0;
  return r;
}

} // namespace bench
