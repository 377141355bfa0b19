// `--cluster-port 0` (net/cluster.cpp): the port picked for the node must
// stay taken from the moment it is picked (the node's name is made of it)
// until the middleman listens on it. Between the two, any other socket of
// the machine could otherwise get it - an outgoing connection's ephemeral
// port, another server's bind to 0 - and the node fails to start.
#include <catch2/catch.hpp>

#include <cerrno>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/cluster.hpp"

using namespace chat::net;

namespace {

/// 0 if a socket could bind 127.0.0.1:`port` (and listen, if asked), or
/// the errno that refused it. The socket is closed again.
int try_bind(uint16_t port, bool reuse_addr, bool then_listen) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int on = 1;
  if (reuse_addr)
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int result = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      (then_listen && ::listen(fd, 1) != 0))
    result = errno;
  ::close(fd);
  return result;
}

} // namespace

TEST_CASE("a port picked for --cluster-port 0 stays taken until the node "
          "listens on it",
          "[cluster]") {
  cluster_flags flags;
  flags.port = 0;
  uint16_t port = 0;
  {
    auto id = settle_identity(flags);
    port = id.port;
    REQUIRE(port != 0);
    CHECK(id.name == "127.0.0.1:" + std::to_string(port));
    // Any other socket is refused...
    CHECK(try_bind(port, false, false) == EADDRINUSE);
    // ...but the middleman's (SO_REUSEADDR, then listen) gets it.
    CHECK(try_bind(port, true, true) == 0);
  }
  // Once the identity is gone (the node listens by then), nothing is held.
  CHECK(try_bind(port, false, false) == 0);
}
