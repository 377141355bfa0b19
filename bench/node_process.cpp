#include "node_process.hpp"

#include <csignal>
#include <regex>
#include <stdexcept>

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

node_process::node_process(const std::string& binary,
                           const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("node_process: pipe failed");
  std::vector<std::string> argv_s{binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("node_process: fork failed");
  if (pid_ == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    // The tool's sockets must not live on in the node: a client the tool
    // closes or resets would stay open in the child (Asio's sockets are
    // not close-on-exec).
#ifdef SYS_close_range
    ::syscall(SYS_close_range, 3u, ~0u, 0u);
#else
    for (int fd = 3; fd < 65536; ++fd)
      ::close(fd);
#endif
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  err_ = fds[0];
  reader_ = std::thread{[this] { drain(); }};
}

node_process::~node_process() {
  kill();
  reader_.join(); // the pipe closed with the child
  ::close(err_);
}

void node_process::drain() {
  char buf[4096];
  for (;;) {
    auto n = ::read(err_, buf, sizeof buf);
    if (n <= 0)
      return;
    std::lock_guard<std::mutex> guard{mtx_};
    if (output_.size() < (1u << 20))
      output_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string node_process::output() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return output_;
}

uint16_t node_process::logged_port(const std::string& pattern,
                                   std::chrono::milliseconds timeout) {
  std::regex re{pattern};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto out = output();
    std::smatch m;
    if (std::regex_search(out, m, re))
      return static_cast<uint16_t>(std::stoi(m[1]));
    int status = 0;
    bool gone = !reaped_ && ::waitpid(pid_, &status, WNOHANG) == pid_;
    if (gone)
      reaped_ = true;
    if (gone || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("node did not log /" + pattern + "/" +
                               (gone ? " (it exited)" : "") + ":\n" + out);
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

void node_process::kill() {
  if (reaped_)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  reaped_ = true;
}

} // namespace bench
