#include "net/write_batch.hpp"

#include <cerrno>
#include <exception>

#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>

#include "actors/log.hpp"
#include "net/send_ring.hpp"

namespace chat::net {

namespace {

thread_local write_batch* this_thread_batch = nullptr;

/// Handlers run before the batch is written, at most (bounds the latency
/// the first of them waits while the server is busy).
constexpr int max_handlers_per_batch = 1024;

long send_now(int fd, const msghdr& msg) {
  auto n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  return n < 0 ? -errno : n;
}

/// Runs one ready handler (blocking for it if `wait`); a handler that throws
/// is logged and the thread goes on: one connection's bug must not end
/// every other connection of the thread. Returns how many ran.
std::size_t run_handler(boost::asio::io_context& ioc, bool wait) {
  try {
    return wait ? ioc.run_one() : ioc.poll_one();
  } catch (const std::exception& e) {
    log::error(std::string{"I/O handler threw: "} + e.what());
  } catch (...) {
    log::error("I/O handler threw a non-exception");
  }
  return 1;
}

} // namespace

write_batch::write_batch(boost::asio::io_context& ioc,
                         std::atomic<uint64_t>* syscalls, bool io_uring)
    : ioc_(ioc), ring_(io_uring ? send_ring::open() : nullptr),
      syscalls_(syscalls) {}

write_batch::~write_batch() = default;

write_batch* write_batch::current() noexcept {
  return this_thread_batch;
}

bool write_batch::uses_io_uring() const noexcept {
  return ring_ != nullptr;
}

bool write_batch::io_uring_works() {
  return send_ring::open() != nullptr;
}

void write_batch::run(boost::asio::io_context& ioc,
                      std::atomic<uint64_t>* syscalls, bool io_uring) {
  write_batch batch(ioc, syscalls, io_uring);
  this_thread_batch = &batch;
  static std::atomic<bool> told{false};
  if (!told.exchange(true))
    log::info(batch.uses_io_uring()
                  ? "socket writes batched per I/O thread with io_uring"
                  : "socket writes batched per I/O thread (no io_uring "
                    "SENDMSG here: one send() per socket)");
  // Blocks for the first ready handler, runs the others that are ready,
  // then writes what they queued. The context has work until stopped.
  auto work = boost::asio::make_work_guard(ioc);
  while (!ioc.stopped() && run_handler(ioc, true) > 0) {
    for (int i = 1; i < max_handlers_per_batch && run_handler(ioc, false) > 0;
         ++i) {
    }
    batch.flush();
  }
  batch.flush();
  this_thread_batch = nullptr;
}

void write_batch::send_chunk(unsigned n) {
  unsigned ringed =
      ring_ ? ring_->send_all(fds_.data(), messages_.data(), results_.data(), n)
            : 0;
  if (ring_ && !ring_->usable()) {
    log::warn("io_uring failed; plain sends from now on");
    ring_.reset();
  }
  // A kernel that takes the opcode but not these arguments answers EINVAL
  // without sending: such sends are made again without the ring.
  bool refused = false;
  for (unsigned i = 0; i < ringed; ++i)
    if (results_[i] == -EINVAL) {
      results_[i] = send_now(fds_[i], messages_[i]);
      refused = true;
    }
  if (refused && ring_) {
    log::warn("io_uring refused SENDMSG; plain sends from now on");
    ring_.reset();
  }
  for (unsigned i = ringed; i < n; ++i)
    results_[i] = send_now(fds_[i], messages_[i]);
  if (syscalls_)
    syscalls_->fetch_add((ringed ? 1 : 0) + (n - ringed),
                         std::memory_order_relaxed);
}

void write_batch::flush() {
  constexpr std::size_t chunk = send_ring::entries;
  writers_.resize(chunk);
  fds_.resize(chunk);
  iovecs_.resize(2 * chunk);
  messages_.resize(chunk);
  results_.resize(chunk);
  while (!pending_.empty()) {
    // Writers may queue again from batch_sent (e.g. a close behind a
    // partial write); they join the next round.
    sending_.swap(pending_);
    for (std::size_t at = 0; at < sending_.size(); at += chunk) {
      unsigned n = 0;
      for (std::size_t i = at; i < sending_.size() && i < at + chunk; ++i) {
        auto* w = sending_[i].writer;
        auto fd = w->batch_fd();
        iovec pieces[2];
        auto count = fd < 0 ? 0 : w->batch_buffers(pieces);
        if (count == 0) {
          w->batch_sent(fd < 0 ? -EBADF : 0);
          continue;
        }
        writers_[n] = w;
        fds_[n] = fd;
        iovecs_[2 * n] = pieces[0];
        iovecs_[2 * n + 1] = pieces[1];
        messages_[n] = msghdr{};
        messages_[n].msg_iov = &iovecs_[2 * n];
        messages_[n].msg_iovlen = count;
        ++n;
      }
      if (n == 0)
        continue;
      send_chunk(n);
      for (unsigned i = 0; i < n; ++i)
        writers_[i]->batch_sent(results_[i]);
    }
    sending_.clear(); // releases the owners
  }
}

} // namespace chat::net
