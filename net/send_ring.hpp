// Many sockets' non-blocking sends in one system call: an io_uring of
// SENDMSG operations, driven by liburing. Used by write_batch; no Asio.
#pragma once

#include <memory>

#include <sys/socket.h>

struct io_uring;

namespace chat::net {

class send_ring {
public:
  /// Most sends in one submission.
  static constexpr unsigned entries = 1024;

  /// Nothing if this kernel (or a seccomp filter) refuses io_uring, or its
  /// io_uring cannot SENDMSG (probed, so that no send is ever lost to an
  /// unsupported opcode).
  static std::unique_ptr<send_ring> open();

  ~send_ring();
  send_ring(const send_ring&) = delete;
  send_ring& operator=(const send_ring&) = delete;

  /// Sends `msgs[i]` on `fds[i]` for i < n (n <= entries), non-blocking,
  /// in one submission; `results[i]` gets what each send returned (bytes or
  /// -errno). Returns how many of them went through the ring: always a
  /// prefix, and fewer than n only if the ring failed (it is then no longer
  /// usable); the caller sends the rest itself.
  unsigned send_all(const int* fds, const msghdr* msgs, long* results,
                    unsigned n);

  /// False once the ring failed.
  bool usable() const noexcept;

private:
  send_ring();
  void close();
  std::unique_ptr<io_uring> ring_;
};

} // namespace chat::net
