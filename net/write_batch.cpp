#include "net/write_batch.hpp"

#include <cerrno>
#include <cstring>

#include <boost/asio/executor_work_guard.hpp>

#include "actors/log.hpp"

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace chat::net {

namespace {

thread_local write_batch* this_thread_batch = nullptr;

/// Handlers run before the batch is written, at most (bounds the latency
/// the first of them waits while the server is busy).
constexpr int max_handlers_per_batch = 1024;

constexpr int send_flags = MSG_DONTWAIT | MSG_NOSIGNAL;

long send_now(int fd, const msghdr& msg) {
  auto n = ::sendmsg(fd, &msg, send_flags);
  return n < 0 ? -errno : n;
}

} // namespace

/// A minimal io_uring (no liburing on these machines): submit non-blocking
/// sends, wait for all of them, read their results.
class uring {
public:
  static constexpr unsigned entries = 1024;

  /// Nothing if the kernel or a seccomp filter refuses io_uring.
  static std::unique_ptr<uring> open() {
    std::unique_ptr<uring> r(new uring);
    io_uring_params p{};
    r->fd_ = static_cast<int>(syscall(__NR_io_uring_setup, entries, &p));
    if (r->fd_ < 0)
      return nullptr;
    r->sq_bytes_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    r->cq_bytes_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    r->sqe_bytes_ = p.sq_entries * sizeof(io_uring_sqe);
    r->sq_ = map(r->fd_, r->sq_bytes_, IORING_OFF_SQ_RING);
    r->cq_ = map(r->fd_, r->cq_bytes_, IORING_OFF_CQ_RING);
    r->sqes_ =
        static_cast<io_uring_sqe*>(map(r->fd_, r->sqe_bytes_, IORING_OFF_SQES));
    if (!r->sq_ || !r->cq_ || !r->sqes_)
      return nullptr;
    auto at = [](void* base, unsigned off) {
      return reinterpret_cast<unsigned*>(static_cast<char*>(base) + off);
    };
    r->sq_tail_ = at(r->sq_, p.sq_off.tail);
    r->sq_mask_ = *at(r->sq_, p.sq_off.ring_mask);
    r->sq_array_ = at(r->sq_, p.sq_off.array);
    r->cq_head_ = at(r->cq_, p.cq_off.head);
    r->cq_tail_ = at(r->cq_, p.cq_off.tail);
    r->cq_mask_ = *at(r->cq_, p.cq_off.ring_mask);
    r->cqes_ = reinterpret_cast<io_uring_cqe*>(static_cast<char*>(r->cq_) +
                                               p.cq_off.cqes);
    return r;
  }

  ~uring() {
    if (sqes_)
      munmap(sqes_, sqe_bytes_);
    if (cq_)
      munmap(cq_, cq_bytes_);
    if (sq_)
      munmap(sq_, sq_bytes_);
    if (fd_ >= 0)
      ::close(fd_);
  }

  /// Sends `msgs[i]` on `fds[i]` (at most `entries`), one system call for
  /// all; `results[i]` gets what each send returned. False if the ring
  /// failed (then nothing was sent).
  bool send_all(const int* fds, const msghdr* msgs, long* results, unsigned n) {
    unsigned tail = *sq_tail_;
    for (unsigned i = 0; i < n; ++i) {
      unsigned slot = (tail + i) & sq_mask_;
      io_uring_sqe& sqe = sqes_[slot];
      std::memset(&sqe, 0, sizeof sqe);
      sqe.opcode = IORING_OP_SENDMSG;
      sqe.fd = fds[i];
      sqe.addr = reinterpret_cast<uint64_t>(&msgs[i]);
      sqe.len = 1;
      sqe.msg_flags = send_flags;
      sqe.user_data = i;
      sq_array_[slot] = slot;
    }
    __atomic_store_n(sq_tail_, tail + n, __ATOMIC_RELEASE);
    unsigned submitted = 0, reaped = 0;
    while (reaped < n) {
      auto rc = syscall(__NR_io_uring_enter, fd_, n - submitted, n - reaped,
                        IORING_ENTER_GETEVENTS, nullptr, 0);
      if (rc < 0 && errno != EINTR) {
        if (submitted == 0) {
          __atomic_store_n(sq_tail_, tail, __ATOMIC_RELEASE); // take back
          return false;
        }
        continue; // submitted sends complete; wait for them
      }
      if (rc > 0)
        submitted += static_cast<unsigned>(rc);
      unsigned head = *cq_head_;
      unsigned end = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
      for (; head != end; ++head, ++reaped) {
        const io_uring_cqe& cqe = cqes_[head & cq_mask_];
        results[cqe.user_data] = cqe.res;
      }
      __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
    }
    return true;
  }

private:
  uring() = default;

  static void* map(int fd, std::size_t bytes, off_t what) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, fd, what);
    return p == MAP_FAILED ? nullptr : p;
  }

  int fd_ = -1;
  void* sq_ = nullptr;
  void* cq_ = nullptr;
  io_uring_sqe* sqes_ = nullptr;
  std::size_t sq_bytes_ = 0, cq_bytes_ = 0, sqe_bytes_ = 0;
  unsigned* sq_tail_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned* sq_array_ = nullptr;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
};

write_batch::write_batch(std::atomic<uint64_t>* syscalls, bool io_uring)
    : ring_(io_uring ? uring::open() : nullptr), syscalls_(syscalls) {}

write_batch::~write_batch() = default;

write_batch* write_batch::current() noexcept {
  return this_thread_batch;
}

bool write_batch::uses_io_uring() const noexcept {
  return ring_ != nullptr;
}

bool write_batch::io_uring_works() {
  return uring::open() != nullptr;
}

void write_batch::run(boost::asio::io_context& ioc,
                      std::atomic<uint64_t>* syscalls, bool io_uring) {
  write_batch batch(syscalls, io_uring);
  this_thread_batch = &batch;
  static std::atomic<bool> told{false};
  if (!told.exchange(true))
    log::info(batch.uses_io_uring()
                  ? "socket writes batched per I/O thread with io_uring"
                  : "socket writes batched per I/O thread (no io_uring "
                    "here: one send() per socket)");
  // Blocks for the first ready handler, runs the others that are ready,
  // then writes what they queued. The context has work until stopped.
  auto work = boost::asio::make_work_guard(ioc);
  while (ioc.run_one() > 0) {
    for (int i = 1; i < max_handlers_per_batch && ioc.poll_one() > 0; ++i) {
    }
    batch.flush();
  }
  batch.flush();
  this_thread_batch = nullptr;
}

void write_batch::flush() {
  constexpr std::size_t chunk = uring::entries;
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
      bool ringed = ring_ && ring_->send_all(fds_.data(), messages_.data(),
                                             results_.data(), n);
      if (!ringed) {
        ring_.reset(); // it failed once: plain sends from now on
        for (unsigned i = 0; i < n; ++i)
          results_[i] = send_now(fds_[i], messages_[i]);
      }
      if (syscalls_)
        syscalls_->fetch_add(ringed ? 1 : n, std::memory_order_relaxed);
      for (unsigned i = 0; i < n; ++i)
        writers_[i]->batch_sent(results_[i]);
    }
    sending_.clear(); // releases the owners
  }
}

} // namespace chat::net
