#include "child_process.hpp"

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace client {

child_process::child_process(const std::string& binary,
                             const std::vector<std::string>& args,
                             child_options o)
    : max_output_(o.max_output) {
  // argv is built before the fork: the child of a threaded process may only
  // make async-signal-safe calls.
  std::vector<std::string> argv_s{binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = o.env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry{*e};
    auto name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (auto& mine : o.env)
      replaced =
          replaced || std::string_view{mine}.substr(0, name.size()) == name;
    if (!replaced)
      env_s.emplace_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env_s)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("child_process: pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error("child_process: fork failed");
  }
  if (pid_ == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0)
      ::_exit(126);
    if (o.max_files) {
      rlimit lim{o.max_files, o.max_files};
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    // Our sockets must not live on in the child: a connection we close or
    // reset would stay open there (Asio's sockets are not close-on-exec).
#ifdef SYS_close_range
    ::syscall(SYS_close_range, 3u, ~0u, 0u);
#else
    for (int fd = 3; fd < 65536; ++fd)
      ::close(fd);
#endif
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  err_ = fds[0];
  reader_ = std::thread{[this] { drain(); }};
}

child_process::~child_process() {
  kill();
  reader_.join(); // the pipe closed with the child
  ::close(err_);
}

void child_process::drain() {
  char buf[4096];
  for (;;) {
    auto n = ::read(err_, buf, sizeof buf);
    std::lock_guard<std::mutex> guard{mtx_};
    if (n <= 0) {
      eof_ = true;
      return;
    }
    if (output_.size() < max_output_)
      output_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string child_process::output() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return output_;
}

std::string child_process::read_until(const std::regex& pattern,
                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool closed;
    std::string out;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      closed = eof_;
      out = output_;
    }
    if (closed || std::regex_search(out, pattern) ||
        std::chrono::steady_clock::now() > deadline)
      return out;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

std::optional<uint16_t>
child_process::find_port(const std::regex& pattern,
                         std::chrono::milliseconds timeout) {
  auto out = read_until(pattern, timeout);
  std::smatch m;
  if (!std::regex_search(out, m, pattern))
    return std::nullopt;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

void child_process::signal(int sig) {
  if (!reaped_)
    ::kill(pid_, sig);
}

void child_process::kill() {
  if (reaped_)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
  reaped_ = true;
}

bool child_process::exited() {
  if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_)
    reaped_ = true;
  return reaped_;
}

int child_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

std::size_t child_process::rss_bytes() const {
  std::ifstream status{"/proc/" + std::to_string(pid_) + "/status"};
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0;
}

} // namespace client
