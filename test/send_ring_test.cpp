// The io_uring of the write batch (net/send_ring.hpp) on real sockets: one
// submission sends to many sockets, and each send has its own result.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include "net/send_ring.hpp"

using chat::net::send_ring;

namespace {

struct socket_pair {
  int fds[2] = {-1, -1};
  socket_pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0); }
  ~socket_pair() {
    for (int fd : fds)
      if (fd >= 0)
        ::close(fd);
  }
  std::string read_all() {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::recv(fds[1], buf, sizeof buf, MSG_DONTWAIT)) > 0)
      out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

} // namespace

TEST_CASE("send ring: one submission sends to each socket its own bytes, "
          "and a failed socket fails only its own send",
          "[net][send_ring]") {
  auto ring = send_ring::open();
  if (!ring) {
    WARN("SKIPPED: io_uring with SENDMSG is not available here");
    return;
  }
  CHECK(ring->usable());
  socket_pair a, b, c;
  ::close(c.fds[1]); // c's peer is gone: its send fails with EPIPE
  c.fds[1] = -1;
  std::string head = "head:", body_a = "alpha", body_b = "bravo";
  iovec iov_a[2] = {{head.data(), head.size()}, {body_a.data(), body_a.size()}};
  iovec iov_b[1] = {{body_b.data(), body_b.size()}};
  iovec iov_c[1] = {{body_b.data(), body_b.size()}};
  msghdr msgs[3] = {};
  msgs[0].msg_iov = iov_a;
  msgs[0].msg_iovlen = 2;
  msgs[1].msg_iov = iov_b;
  msgs[1].msg_iovlen = 1;
  msgs[2].msg_iov = iov_c;
  msgs[2].msg_iovlen = 1;
  int fds[3] = {a.fds[0], b.fds[0], c.fds[0]};
  long results[3] = {};
  CHECK(ring->send_all(fds, msgs, results, 3) == 3);
  CHECK(results[0] == 10);
  CHECK(results[1] == 5);
  CHECK(results[2] == -EPIPE);
  CHECK(a.read_all() == "head:alpha");
  CHECK(b.read_all() == "bravo");
  CHECK(ring->usable());
}
