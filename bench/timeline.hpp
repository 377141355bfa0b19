// A server's /metrics sampled a few times a second into a CSV file, for
// plotting what happened during an experiment (bench/plot.mjs).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace bench {

class metrics_timeline {
public:
  /// One CSV column from the tool's own state (e.g. faults injected).
  struct tool_column {
    std::string name;
    std::function<double()> value;
  };

  /// One CSV column from /metrics: its name, and the sample it holds
  /// (e.g. {"disconnects_reset", "chat_disconnects_total{reason=\"reset\"}"}).
  struct sample_column {
    std::string name;
    std::string sample;
  };

  /// Starts sampling every `period` into `file` (columns: t_s, each
  /// sample column, each tool column; a missing sample is left empty).
  /// Does nothing if `file` is empty.
  metrics_timeline(
      std::string host, uint16_t port, const std::string& file,
      std::vector<sample_column> samples,
      std::vector<tool_column> tool_columns = {},
      std::chrono::milliseconds period = std::chrono::milliseconds(250));
  ~metrics_timeline(); // takes a last sample and stops

  metrics_timeline(const metrics_timeline&) = delete;
  metrics_timeline& operator=(const metrics_timeline&) = delete;

private:
  void sample_once();

  std::string host_;
  uint16_t port_;
  std::vector<sample_column> samples_;
  std::vector<tool_column> tool_columns_;
  std::chrono::milliseconds period_;
  std::ofstream out_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace bench
