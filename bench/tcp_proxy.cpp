#include "tcp_proxy.hpp"

#include <algorithm>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace client {

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void reset_close(int fd) {
  if (fd < 0)
    return;
  linger l{1, 0}; // RST, as a path that dies does to both ends
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

} // namespace

tcp_proxy::tcp_proxy(uint16_t target) : target_(target) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (listener_ < 0 ||
      ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::pipe(wake_) != 0)
    throw std::runtime_error("tcp_proxy: cannot listen");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread{[this] { run(); }};
}

tcp_proxy::~tcp_proxy() {
  stop_ = true;
  char c = 0;
  (void)!::write(wake_[1], &c, 1);
  thread_.join();
  close_all(false);
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void tcp_proxy::cut() {
  mode_ = mode::cut;
  drop_all_ = true;
  char c = 0;
  (void)!::write(wake_[1], &c, 1);
}

void tcp_proxy::blackhole() {
  mode_ = mode::blackhole;
  char c = 0;
  (void)!::write(wake_[1], &c, 1);
}

void tcp_proxy::heal() {
  drop_all_ = true; // connections from before the fault are dead to their ends
  mode_ = mode::forward;
  char c = 0;
  (void)!::write(wake_[1], &c, 1);
}

void tcp_proxy::close_all(bool reset) {
  for (auto& p : pipes_) {
    if (reset) {
      reset_close(p.client);
      reset_close(p.server);
    } else {
      ::close(p.client);
      ::close(p.server);
    }
  }
  pipes_.clear();
}

void tcp_proxy::run() {
  char buf[16 * 1024];
  while (!stop_) {
    if (drop_all_.exchange(false))
      close_all(true);
    auto m = mode_.load();
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    if (m == mode::forward)
      for (auto& p : pipes_) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.server, POLLIN, 0});
      }
    if (::poll(fds.data(), fds.size(), 100) <= 0)
      continue;
    if (fds[0].revents) {
      char drain[64];
      (void)!::read(wake_[0], drain, sizeof drain);
    }
    if (fds[1].revents & POLLIN) {
      int c = ::accept(listener_, nullptr, nullptr);
      if (c >= 0 && m == mode::cut) {
        reset_close(c);
      } else if (c >= 0) {
        int s = ::socket(AF_INET, SOCK_STREAM, 0);
        auto to = loopback(target_);
        if (::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
          reset_close(c);
          ::close(s);
        } else {
          pipes_.push_back({c, s});
        }
      }
    }
    if (m != mode::forward)
      continue; // a blackhole reads nothing: bytes stay in the kernel
    std::vector<std::size_t> dead;
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      auto& p = pipes_[(i - 2) / 2];
      int from = fds[i].fd, to = from == p.client ? p.server : p.client;
      auto n = ::read(from, buf, sizeof buf);
      if (n <= 0 ||
          ::send(to, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
        dead.push_back((i - 2) / 2);
        continue;
      }
      bytes_ += static_cast<uint64_t>(n);
    }
    // Closing one end closes the other (highest index first).
    std::sort(dead.begin(), dead.end());
    dead.erase(std::unique(dead.begin(), dead.end()), dead.end());
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
      ::close(pipes_[*it].client);
      ::close(pipes_[*it].server);
      pipes_.erase(pipes_.begin() + static_cast<long>(*it));
    }
  }
}

} // namespace client
