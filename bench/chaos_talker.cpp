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

observer_check check_observer(client::ws_client& obs,
                              const std::vector<talk_record>& records,
                              const std::function<bool(long)>& excused) {
  observer_check r;
  long last = -1;
  for (std::size_t i = 0; i < records.size(); ++i)
    if (records[i].state == talk_record::accepted)
      last = static_cast<long>(i);
  std::vector<long> seen;
  auto deadline = steady::now() + 10s;
  while ((seen.empty() || seen.back() < last) && steady::now() < deadline)
    if (auto f = obs.recv(200ms); f)
      if (auto seq = chaos_seq_of(*f); seq >= 0)
        seen.push_back(seq);
  r.received = static_cast<long>(seen.size());
  std::set<long> got(seen.begin(), seen.end());
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto seq = static_cast<long>(i);
    if (records[i].state != talk_record::accepted || got.count(seq))
      continue;
    ++(excused(seq) ? r.lost_excused : r.lost);
  }
  for (std::size_t i = 1; i < seen.size(); ++i)
    r.out_of_order += seen[i] <= seen[i - 1] ? 1 : 0;
  return r;
}

} // namespace bench
