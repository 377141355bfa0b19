#include "server_process.hpp"

#include <csignal>
#include <fstream>

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace test {

server_process::server_process(std::vector<std::string> args, rlim_t max_files,
                               const std::string& cwd) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0)
      ::_exit(126);
    if (max_files) {
      rlimit lim{max_files, max_files};
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    ::close(fds[0]);
    std::vector<char*> argv{const_cast<char*>(ACTORCHAT_BINARY)};
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(ACTORCHAT_BINARY, argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  err_ = fds[0];
  reader_ = std::thread{[this] { drain(); }};
}

server_process::~server_process() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  reader_.join(); // the pipe closed with the child
  ::close(err_);
}

void server_process::drain() {
  char buf[4096];
  for (;;) {
    auto n = ::read(err_, buf, sizeof buf);
    if (n <= 0)
      return;
    std::lock_guard<std::mutex> guard{mtx_};
    output_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string server_process::output() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return output_;
}

std::string server_process::read_until(const std::regex& pattern,
                                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto out = output();
    if (std::regex_search(out, pattern) ||
        std::chrono::steady_clock::now() > deadline)
      return out;
    std::this_thread::sleep_for(5ms);
  }
}

uint16_t server_process::logged_port(const std::string& pattern) {
  std::regex re{pattern};
  auto out = read_until(re);
  std::smatch m;
  INFO(out);
  REQUIRE(std::regex_search(out, m, re));
  return static_cast<uint16_t>(std::stoi(m[1]));
}

uint16_t server_process::port() {
  return logged_port("listening on http://127\\.0\\.0\\.1:(\\d+)");
}

void server_process::signal(int sig) {
  ::kill(pid_, sig);
}

int server_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

std::size_t server_process::rss_bytes() const {
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

} // namespace test
