// Many sockets' writes in one system call. An I/O thread that runs
// write_batch::run() first runs every handler that is ready (a room's
// fan-out is one handler per member connection), then hands all the
// sockets they wrote to the kernel at once: one io_uring submission of
// non-blocking sends, or one send() each where io_uring is unavailable.
// Why: on these machines a system call costs about as much as the loopback
// TCP work of a small frame, and a broadcast writes to every member.
// The batch touches its sockets outside their strands, so every handler of
// a socket it holds must run on its thread: one io_context per I/O thread
// (see listener.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <sys/uio.h>

#include <boost/asio/io_context.hpp>

namespace chat::net {

class send_ring;

/// A socket with bytes to hand to the kernel at the end of the batch.
class batch_writer {
public:
  /// The socket's descriptor (-1 if it was closed meanwhile).
  virtual int batch_fd() = 0;
  /// The bytes to send now, in up to two pieces (a frame's header and its
  /// shared payload, or one queue); returns how many (0: nothing, e.g.
  /// dropped meanwhile). They stay valid until batch_sent().
  virtual std::size_t batch_buffers(iovec (&pieces)[2]) = 0;
  /// What the send returned: bytes taken, or -errno.
  virtual void batch_sent(long result) = 0;

protected:
  ~batch_writer() = default;
};

class write_batch {
public:
  /// The batch of the calling thread, or nullptr if it does not batch
  /// (sockets then write at once).
  static write_batch* current() noexcept;

  /// Runs `ioc` on this thread, and only here, until it is stopped,
  /// batching the writes (with io_uring if asked and it works); counts every
  /// system call that writes in `syscalls`.
  static void run(boost::asio::io_context& ioc, std::atomic<uint64_t>* syscalls,
                  bool io_uring = true);

  /// Sends `w`'s bytes at the end of the batch, keeping `owner` alive.
  void add(std::shared_ptr<void> owner, batch_writer* w) {
    pending_.push_back({std::move(owner), w});
  }

  /// Whether this batch writes with io_uring (else one send() per socket).
  bool uses_io_uring() const noexcept;

  /// Whether io_uring works on this machine (the kernel or a seccomp filter
  /// may refuse it, or lack SENDMSG).
  static bool io_uring_works();

  /// The context this batch's thread runs: sockets of other contexts must
  /// not join it (their handlers may run on other threads).
  boost::asio::io_context& context() const noexcept { return ioc_; }

  ~write_batch();
  write_batch(const write_batch&) = delete;
  write_batch& operator=(const write_batch&) = delete;

private:
  write_batch(boost::asio::io_context& ioc, std::atomic<uint64_t>* syscalls,
              bool io_uring);
  void flush();
  /// Sends the chunk's `n` prepared messages; fills results_.
  void send_chunk(unsigned n);

  struct entry {
    std::shared_ptr<void> owner;
    batch_writer* writer;
  };
  std::vector<entry> pending_;
  std::vector<entry> sending_;
  // One chunk's system-call arguments (kept: no allocation per batch).
  std::vector<batch_writer*> writers_;
  std::vector<int> fds_;
  std::vector<iovec> iovecs_; // two per writer
  std::vector<msghdr> messages_;
  std::vector<long> results_;
  boost::asio::io_context& ioc_;
  std::unique_ptr<send_ring> ring_;
  std::atomic<uint64_t>* syscalls_;
};

} // namespace chat::net
