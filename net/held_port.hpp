// A TCP port taken for a process that binds it later: kept bound with
// SO_REUSEADDR and never listening, so no other socket of the machine gets
// it (not an outgoing connection's ephemeral port, not a bind to port 0),
// while whoever binds it with SO_REUSEADDR too - CAF's middleman publishing
// a node - can still bind and listen. Picking a free port by binding 0 and
// closing again leaves a gap in which anything can take it.
// Header-only: the bench's local cluster and the tests (no server code
// linked) use it too.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace chat::net {

class held_port {
public:
  /// Holds a free port of `bind` (an address or a host name); throws
  /// std::runtime_error if it names nothing or no port is free.
  static held_port pick(const std::string& bind) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    if (::getaddrinfo(bind.c_str(), "0", &hints, &found) != 0)
      throw std::runtime_error("'" + bind + "' is no address");
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard{found, ::freeaddrinfo};
    held_port held;
    held.fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (held.fd_ < 0 ||
        ::setsockopt(held.fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        ::bind(held.fd_, found->ai_addr, found->ai_addrlen) != 0 ||
        ::getsockname(held.fd_, reinterpret_cast<sockaddr*>(&bound), &len) != 0)
      throw std::runtime_error("no free port on " + bind);
    held.port_ = ntohs(bound.ss_family == AF_INET6
                           ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return held;
  }

  held_port() = default;
  held_port(held_port&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}
  held_port& operator=(held_port&& other) noexcept {
    if (this != &other) {
      release();
      fd_ = std::exchange(other.fd_, -1);
      port_ = other.port_;
    }
    return *this;
  }
  ~held_port() { release(); }

  uint16_t port() const { return port_; }

private:
  void release() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
  uint16_t port_ = 0;
};

} // namespace chat::net
