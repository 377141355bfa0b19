// The socket under a WebSocket connection that makes frames leave in as few
// system calls as possible.
//
// Why: one write() of a small frame to a TCP socket costs far more CPU than
// building the frame. On an I/O thread that batches (net/write_batch.hpp),
// a frame is queued and leaves at the end of the batch, together with every
// other socket's: a broadcast's frames to all members in one system call.
// Elsewhere a frame that finds nothing queued goes to the kernel at once
// (header and payload in one gathering write). When the kernel is full,
// everything queued meanwhile leaves in the next write. Frames never
// interleave and leave in the order they were sent; a connection that falls
// behind sends its backlog in a few large writes instead of many small
// ones. All calls come from the connection's strand (its one thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <sys/uio.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "net/chunk_queue.hpp"
#include "net/write_batch.hpp"

namespace chat::net {

class batching_socket final : public batch_writer {
public:
  using socket_type = boost::asio::ip::tcp::socket;

  explicit batching_socket(socket_type&& socket);

  socket_type& socket() noexcept { return socket_; }

  /// Waits for the kernel keep `owner` alive (the object that holds this
  /// socket; set once before the first write).
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  /// Called once, on the socket's thread, when a write fails (the peer is
  /// gone): by then the socket is closed and everything queued dropped.
  void on_failure(std::function<void()> f) { on_failure_ = std::move(f); }

  /// Also counts every write system call in `total` (for /metrics).
  void count_writes_in(std::atomic<uint64_t>& total) { total_writes_ = &total; }

  /// Writes made so far (a batch's sends count one each).
  uint64_t writes() const noexcept { return writes_; }

  /// Sends one unfragmented, unmasked (server to client) frame.
  void send_frame(uint8_t opcode, std::string_view payload);

  /// Sends one text frame whose payload is shared (a broadcast is encoded
  /// once for all members). On a batching thread with nothing queued, the
  /// batch sends the header and the payload from where they are: no copy,
  /// no allocation.
  void send_text(std::shared_ptr<const std::string> payload);

  /// Sends bytes that are not a frame (the HTTP 101 response).
  void send_raw(std::string_view bytes) { send(bytes, {}); }

  /// Bytes queued here that the kernel has not taken yet.
  std::size_t backlog_bytes() const noexcept;

  /// Bytes the kernel took but the peer's TCP has not acknowledged yet.
  std::size_t unacknowledged_bytes() const noexcept;

  /// The socket failed (the peer is gone); nothing more is sent.
  bool failed() const noexcept { return static_cast<bool>(failed_); }

  /// Drops the frames not yet handed to a write; the bytes being written
  /// are finished, so the stream stays well-formed.
  void discard_queued();

  /// Calls `then` once the kernel has taken everything queued, or the socket
  /// failed: at once if nothing waits (used before shutting the socket).
  void when_drained(std::function<void()> then);

private:
  void send(std::string_view head, std::string_view body);
  bool join_batch();
  bool keep_unsent(std::string_view head, std::string_view body,
                   std::size_t taken);
  void flush();
  void wait_until_writable();
  void notify_if_drained();
  void unhold();
  void release_sent();
  void count_write();
  void fail(boost::system::error_code ec);

  // batch_writer: the end of the thread's batch.
  int batch_fd() override;
  std::size_t batch_buffers(iovec (&pieces)[2]) override;
  void batch_sent(long result) override;

  // Where the bytes are, oldest first: held_ or sending_[sent_..] (being
  // written), then filling_ (queued behind). Invariants:
  //  - held_ set => in_batch_, and sending_ and filling_ hold nothing
  //    unsent: the held frame is the whole queue.
  //  - sending_ holds whole frames, except that its first frame may have
  //    lost its front to the kernel already; filling_ holds whole frames.
  //  - waiting_ and in_batch_ are never both set; either means a write is
  //    pending, so new bytes go to filling_ behind it.
  //  - failed_ set => nothing is queued and nothing more is taken.
  socket_type socket_;
  std::weak_ptr<void> owner_;
  std::function<void()> on_failure_;
  std::atomic<uint64_t>* total_writes_ = nullptr;
  uint64_t writes_ = 0;
  chunk_queue filling_; // whole frames no write has started on
  std::string sending_; // frames being written; sent_ bytes are out
  std::size_t sent_ = 0;
  bool waiting_ = false;  // for the kernel to take more (async_wait)
  bool in_batch_ = false; // queued in this thread's write batch
  // A text frame waiting for the batch without a copy: its header here,
  // its payload shared with the other members' connections.
  std::shared_ptr<const std::string> held_;
  char held_header_[10];
  uint8_t held_header_bytes_ = 0;
  boost::system::error_code failed_;
  std::function<void()> on_drained_; // set while a close waits for the queue
};

} // namespace chat::net
