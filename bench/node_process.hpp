// One server process started by the chaos tool (a node of a local cluster):
// fork and exec, its stderr collected, SIGKILL on demand.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace bench {

class node_process {
public:
  /// Starts `binary` with `args`; throws std::runtime_error if it cannot.
  node_process(const std::string& binary, const std::vector<std::string>& args);
  /// SIGKILL if it still runs.
  ~node_process();

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  /// The first number group 1 of `pattern` matches in its stderr, waiting
  /// up to `timeout`; throws std::runtime_error (with the output) if none.
  uint16_t logged_port(const std::string& pattern,
                       std::chrono::milliseconds timeout);
  /// What it wrote to stderr so far (the first MiB).
  std::string output() const;

  /// SIGKILL and reap: the node dies without a word.
  void kill();
  pid_t pid() const noexcept { return pid_; }

private:
  void drain();

  pid_t pid_ = -1;
  int err_ = -1;
  bool reaped_ = false;
  mutable std::mutex mtx_;
  std::string output_;
  std::thread reader_;
};

} // namespace bench
