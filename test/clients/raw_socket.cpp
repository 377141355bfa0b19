#include "raw_socket.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace client {

namespace {

/// Waits until `fd` is ready for `events`; false once `deadline` passed or
/// on an error.
bool wait_ready(int fd, short events,
                std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
  pollfd p{fd, events, 0};
  return left > 0 && ::poll(&p, 1, static_cast<int>(left)) > 0;
}

} // namespace

raw_socket::raw_socket(const std::string& host, uint16_t port, int rcvbuf) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0)
    throw std::runtime_error("socket() failed");
  if (rcvbuf > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd_);
    throw std::runtime_error("not an IPv4 address: " + host);
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    auto err = std::string{"connect() failed: "} + std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error(err);
  }
}

raw_socket::~raw_socket() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_socket::send(std::string_view bytes,
                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!bytes.empty()) {
    auto n =
        ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return false;
    if (!wait_ready(fd_, POLLOUT, deadline))
      return false;
  }
  return true;
}

std::string raw_socket::recv_until(std::string_view marker,
                                   std::chrono::milliseconds timeout) {
  std::string data = std::exchange(pending_, {});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (data.find(marker) == std::string::npos) {
    if (!wait_ready(fd_, POLLIN, deadline))
      break;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

std::string raw_socket::recv_some(std::chrono::milliseconds timeout) {
  std::string data = std::exchange(pending_, {});
  if (!data.empty())
    return data;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return data;
  char buf[4096];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n > 0)
    data.append(buf, static_cast<std::size_t>(n));
  return data;
}

bool raw_socket::wait_eof(std::chrono::milliseconds timeout,
                          std::string* data) {
  if (data)
    data->append(std::exchange(pending_, {}));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!wait_ready(fd_, POLLIN, deadline))
      return false;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      return true;
    if (data)
      data->append(buf, static_cast<std::size_t>(n));
  }
}

void raw_socket::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

void raw_socket::reset() {
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
}

std::string raw_socket::upgrade(const std::string& target) {
  send("GET " + target +
       " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
       "Sec-WebSocket-Version: 13\r\n\r\n");
  auto head = recv_until("\r\n\r\n");
  if (head.rfind("HTTP/1.1 101", 0) != 0)
    throw std::runtime_error("upgrade refused: " + head);
  // Frames that came in the same read are the next reads' first bytes.
  auto end = head.find("\r\n\r\n") + 4;
  pending_ = head.substr(end);
  head.resize(end);
  return head;
}

std::string ws_frame(uint8_t opcode, std::string_view payload, bool fin) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | opcode));
  auto len = payload.size();
  if (len < 126) {
    out.push_back(static_cast<char>(0x80 | len));
  } else if (len < 65536) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((len >> shift) & 0xFF));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  out.append(mask, 4);
  for (std::size_t i = 0; i < len; ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return out;
}

std::optional<parsed_frame> take_frame(std::string& bytes) {
  if (bytes.size() < 2)
    return std::nullopt;
  auto b = [&](std::size_t i) { return static_cast<uint8_t>(bytes[i]); };
  std::size_t len = b(1) & 0x7F;
  std::size_t pos = 2;
  if (len == 126) {
    if (bytes.size() < 4)
      return std::nullopt;
    len = (std::size_t{b(2)} << 8) | b(3);
    pos = 4;
  } else if (len == 127) {
    if (bytes.size() < 10)
      return std::nullopt;
    len = 0;
    for (std::size_t i = 2; i < 10; ++i)
      len = (len << 8) | b(i);
    pos = 10;
  }
  if (bytes.size() < pos + len)
    return std::nullopt;
  parsed_frame f{static_cast<uint8_t>(b(0) & 0x0F), bytes.substr(pos, len)};
  bytes.erase(0, pos + len);
  return f;
}

uint16_t close_code(const parsed_frame& f) {
  if (f.payload.size() < 2)
    return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(f.payload[0]) << 8) |
                               static_cast<uint8_t>(f.payload[1]));
}

} // namespace client
