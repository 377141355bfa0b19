// The real server binary as a child process, for tests of what spans
// processes: flags, signals, memory, and clusters of several nodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace test {

using namespace std::chrono_literals;

class server_process : public client::child_process {
public:
  /// Starts ACTORCHAT_BINARY with `args`. A non-zero `max_files` caps the
  /// child's open-files limit; a non-empty `cwd` is its working directory;
  /// `env` adds "NAME=value" entries to its environment.
  explicit server_process(std::vector<std::string> args, rlim_t max_files = 0,
                          const std::string& cwd = {},
                          std::vector<std::string> env = {});

  /// Waits until its stderr matches `pattern` (or it exits); the output so
  /// far (check with std::regex_search, it may not match on timeout).
  std::string read_until(const std::regex& pattern,
                         std::chrono::milliseconds timeout = 10s) {
    return child_process::read_until(pattern, timeout);
  }

  /// The HTTP port from its `listening on` line (fails the test if none).
  uint16_t port();
  /// The first number that `pattern`'s group 1 matches in its stderr
  /// (fails the test if none within 10 s).
  uint16_t logged_port(const std::string& pattern);
};

} // namespace test
