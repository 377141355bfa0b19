// A program run as a child process, its stderr collected all along (a full
// pipe would stall it): the server binary of the process tests and the
// nodes of the bench's local cluster.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/types.h>

namespace client {

struct child_options {
  /// Non-zero: the child's open-files limit.
  rlim_t max_files = 0;
  /// Non-empty: the child's working directory.
  std::string cwd;
  /// Stderr kept past this many bytes is dropped (long runs log a lot).
  std::size_t max_output = SIZE_MAX;
  /// "NAME=value" entries added to (or replacing those of) our environment.
  std::vector<std::string> env;
};

class child_process {
public:
  /// Starts `binary` with `args`; throws std::runtime_error if it cannot.
  /// Descriptors of this process do not live on in the child.
  child_process(const std::string& binary, const std::vector<std::string>& args,
                child_options o = {});
  /// SIGKILL if it still runs.
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Waits until its stderr matches `pattern`, it closed its stderr, or
  /// `timeout`; the output so far (check with std::regex_search).
  std::string read_until(const std::regex& pattern,
                         std::chrono::milliseconds timeout);
  /// The first number group 1 of `pattern` matches in its stderr, waiting
  /// up to `timeout`; none if it does not log one.
  std::optional<uint16_t> find_port(const std::regex& pattern,
                                    std::chrono::milliseconds timeout);
  /// What it wrote to stderr so far.
  std::string output() const;

  pid_t pid() const noexcept { return pid_; }
  void signal(int sig);
  /// SIGKILL and reap: it dies without a word.
  void kill();
  /// Whether it has exited (and is reaped), without waiting.
  bool exited();
  /// Waits for the exit; the exit status (128 + signal if killed), or -1
  /// on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  /// Its resident set size, from /proc (0 once it is gone).
  std::size_t rss_bytes() const;

private:
  void drain();

  pid_t pid_ = -1;
  int err_ = -1;
  bool reaped_ = false;
  int status_ = 0; // once reaped
  std::size_t max_output_;
  mutable std::mutex mtx_;
  std::string output_;
  bool eof_ = false; // its stderr is closed: no more output
  std::thread reader_;
};

} // namespace client
