#include "net/send_ring.hpp"

#include <cerrno>

#include <liburing.h>

namespace chat::net {

namespace {

/// Never block in the kernel: a full socket answers -EAGAIN at once. With
/// MSG_DONTWAIT io_uring completes the send inline instead of parking it
/// for a later retry, so every completion exists once the submission
/// returns, and waiting for all of them never waits on a slow socket.
constexpr int send_flags = MSG_DONTWAIT | MSG_NOSIGNAL;

bool sendmsg_supported(io_uring& ring) {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  if (!probe)
    return false; // kernels before 5.6 cannot say: do not guess
  bool ok = io_uring_opcode_supported(probe, IORING_OP_SENDMSG);
  io_uring_free_probe(probe);
  return ok;
}

} // namespace

send_ring::send_ring() : ring_(std::make_unique<io_uring>()) {
  ring_->ring_fd = -1;
}

send_ring::~send_ring() {
  close();
}

std::unique_ptr<send_ring> send_ring::open() {
  std::unique_ptr<send_ring> r(new send_ring);
  if (io_uring_queue_init(entries, r->ring_.get(), 0) != 0) {
    r->ring_->ring_fd = -1;
    return nullptr;
  }
  if (!sendmsg_supported(*r->ring_))
    return nullptr;
  return r;
}

bool send_ring::usable() const noexcept {
  return ring_->ring_fd >= 0;
}

void send_ring::close() {
  if (ring_->ring_fd >= 0) {
    io_uring_queue_exit(ring_.get());
    ring_->ring_fd = -1;
  }
}

unsigned send_ring::send_all(const int* fds, const msghdr* msgs, long* results,
                             unsigned n) {
  if (!usable())
    return 0;
  auto* ring = ring_.get();
  unsigned queued = 0;
  for (; queued < n; ++queued) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (!sqe)
      break; // cannot happen: the ring has `entries` slots, all reaped
    io_uring_prep_sendmsg(sqe, fds[queued], &msgs[queued], send_flags);
    io_uring_sqe_set_data64(sqe, queued);
  }
  // Each round either takes entries or ends: no spinning on an error.
  unsigned submitted = 0;
  bool failed = queued < n;
  while (submitted < queued) {
    int rc = io_uring_submit(ring);
    if (rc == -EINTR)
      continue;
    if (rc <= 0) {
      failed = true; // the kernel took none of the rest
      break;
    }
    submitted += static_cast<unsigned>(rc);
  }
  // Every submitted send completes, and its buffers must live until it did.
  for (unsigned i = 0; i < submitted; ++i)
    results[i] = -EIO; // until its completion says otherwise
  for (unsigned reaped = 0; reaped < submitted;) {
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_wait_cqe(ring, &cqe);
    if (rc == -EINTR)
      continue;
    if (rc < 0) {
      // Only a broken ring gets here; the remaining sends' outcome is
      // unknown, so they count as failed sockets rather than a guess.
      failed = true;
      break;
    }
    results[io_uring_cqe_get_data64(cqe)] = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    ++reaped;
  }
  // Entries the kernel did not take stay in the submission queue, where a
  // later submission would send them with stale pointers: the ring is done.
  if (failed)
    close();
  return submitted;
}

} // namespace chat::net
