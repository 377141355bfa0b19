// The real server binary as a child process, for tests of what spans
// processes: flags, signals, memory, and clusters of several nodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/types.h>

namespace test {

using namespace std::chrono_literals;

class server_process {
public:
  /// Starts ACTORCHAT_BINARY with `args`. A non-zero `max_files` caps the
  /// child's open-files limit; a non-empty `cwd` is its working directory.
  /// Its stderr is read all along (a full pipe would stall it).
  explicit server_process(std::vector<std::string> args, rlim_t max_files = 0,
                          const std::string& cwd = {});
  /// SIGKILL if it still runs.
  ~server_process();

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// Waits until its stderr matches `pattern`; the output so far (check
  /// with std::regex_search, it may not match on timeout).
  std::string read_until(const std::regex& pattern,
                         std::chrono::milliseconds timeout = 10s);
  /// Everything it wrote to stderr so far.
  std::string output() const;

  /// The HTTP port from its `listening on` line (fails the test if none).
  uint16_t port();
  /// The first number that `pattern`'s group 1 matches in its stderr.
  uint16_t logged_port(const std::string& pattern);

  pid_t pid() const noexcept { return pid_; }
  void signal(int sig);
  /// Waits for the exit; the exit status (128 + signal if killed), or -1
  /// on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  /// Its resident set size, from /proc (0 once it is gone).
  std::size_t rss_bytes() const;

private:
  void drain();

  pid_t pid_ = -1;
  int err_ = -1;
  bool exited_ = false;
  mutable std::mutex mtx_;
  std::string output_;
  std::thread reader_;
};

} // namespace test
