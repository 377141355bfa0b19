#include "timeline.hpp"

#include <map>
#include <stdexcept>

#include "server_metrics.hpp"

namespace bench {

metrics_timeline::metrics_timeline(std::string host, uint16_t port,
                                   const std::string& file,
                                   std::vector<sample_column> samples,
                                   std::vector<tool_column> tool_columns,
                                   std::chrono::milliseconds period)
    : host_(std::move(host)), port_(port), samples_(std::move(samples)),
      tool_columns_(std::move(tool_columns)), period_(period),
      start_(std::chrono::steady_clock::now()) {
  if (file.empty())
    return;
  out_.open(file);
  if (!out_)
    throw std::runtime_error("cannot write " + file);
  out_.precision(12);
  out_ << "t_s";
  for (const auto& s : samples_)
    out_ << ',' << s.name;
  for (const auto& c : tool_columns_)
    out_ << ',' << c.name;
  out_ << '\n';
  thread_ = std::thread([this] {
    auto next = std::chrono::steady_clock::now();
    while (!stop_.load()) {
      sample_once();
      next += period_;
      std::this_thread::sleep_until(next);
    }
  });
}

metrics_timeline::~metrics_timeline() {
  if (!thread_.joinable())
    return;
  stop_.store(true);
  thread_.join();
  sample_once();
}

void metrics_timeline::sample_once() {
  auto t =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  std::map<std::string, double> values;
  try {
    values = server_metrics(host_, port_);
  } catch (const std::exception&) {
    // The server is unreachable for a moment: an empty row says so.
  }
  out_ << t;
  for (const auto& s : samples_) {
    out_ << ',';
    if (auto it = values.find(s.sample); it != values.end())
      out_ << it->second;
  }
  for (const auto& c : tool_columns_)
    out_ << ',' << c.value();
  out_ << '\n' << std::flush;
}

} // namespace bench
