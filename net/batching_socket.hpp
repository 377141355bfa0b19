// The socket under a WebSocket connection that makes frames leave in as few
// system calls as possible. Include only from .cpp files (Asio templates).
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
// ones. All calls come from the connection's strand.
#pragma once

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <boost/asio/buffer.hpp>

#include "net/beast.hpp"
#include "net/write_batch.hpp"
#include "net/ws_frame.hpp"

namespace chat::net {

class batching_socket final : public batch_writer {
public:
  explicit batching_socket(tcp::socket&& socket) : socket_(std::move(socket)) {
    // Writes try the kernel first and must not block if it is full.
    beast::error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  tcp::socket& socket() noexcept { return socket_; }

  /// Waits for the kernel keep `owner` alive (the object that holds this
  /// socket; set once before the first write).
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  /// Also counts every write system call in `total` (for /metrics).
  void count_writes_in(std::atomic<uint64_t>& total) { total_writes_ = &total; }

  /// Writes made so far (a batch's sends count one each).
  uint64_t writes() const noexcept { return writes_; }

  /// Sends one unfragmented, unmasked (server to client) frame.
  void send_frame(uint8_t opcode, std::string_view payload) {
    char header[10];
    auto n = ws_frame::encode_header(opcode, payload.size(), header);
    send(std::string_view(header, n), payload);
  }

  /// Sends one text frame whose payload is shared (a broadcast is encoded
  /// once for all members). On a batching thread with nothing queued, the
  /// batch sends the header and the payload from where they are: no copy,
  /// no allocation.
  void send_text(std::shared_ptr<const std::string> payload) {
    if (!failed_ && !waiting_ && !in_batch_ && backlog_bytes() == 0 &&
        join_batch()) {
      held_header_bytes_ = static_cast<uint8_t>(
          ws_frame::encode_text_header(payload->size(), held_header_));
      held_ = std::move(payload);
      return;
    }
    send_frame(ws_frame::op_text, *payload);
  }

  /// Sends bytes that are not a frame (the HTTP 101 response).
  void send_raw(std::string_view bytes) { send(bytes, {}); }

  /// Bytes the kernel has not taken yet.
  std::size_t backlog_bytes() const noexcept {
    auto held = held_ ? held_header_bytes_ + held_->size() : 0;
    return held + filling_.size() + (sending_.size() - sent_);
  }

  /// Bytes the kernel has taken from us so far.
  uint64_t bytes_taken() const noexcept { return bytes_taken_; }

  /// Of those, the bytes the peer's TCP has acknowledged: the kernel no
  /// longer holds them for retransmission.
  uint64_t bytes_acked() {
    int unacked = 0;
    if (::ioctl(static_cast<int>(socket_.native_handle()), SIOCOUTQ,
                &unacked) != 0)
      return 0;
    return bytes_taken_ - static_cast<uint64_t>(unacked);
  }

  /// The socket failed (the peer is gone); nothing more is sent.
  bool failed() const noexcept { return static_cast<bool>(failed_); }

  /// Drops the frames not yet handed to a write; the batch being written is
  /// finished, so the stream stays well-formed.
  void discard_queued() {
    held_.reset();
    std::string().swap(filling_);
  }

  /// Calls `then` once the kernel has taken everything queued, or the socket
  /// failed: at once if nothing waits (used before shutting the socket).
  void when_drained(std::function<void()> then) {
    if (!waiting_ && !in_batch_) {
      then();
      return;
    }
    on_drained_ = std::move(then);
  }

private:
  void send(std::string_view head, std::string_view body) {
    if (failed_)
      return;
    if (waiting_ || in_batch_ || backlog_bytes() > 0) {
      unhold();                           // the held frame goes first
      filling_.append(head).append(body); // leaves with the next write
      return;
    }
    if (join_batch()) {
      filling_.append(head).append(body);
      return;
    }
    beast::error_code ec;
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head),
                                           asio::buffer(body)};
    auto n = socket_.write_some(bufs, ec);
    bytes_taken_ += n;
    count_write();
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      fail(ec);
      return;
    }
    if (keep_unsent(head, body, n))
      wait_until_writable();
  }

  /// Queues this socket in the calling thread's write batch, if it has one.
  bool join_batch() {
    auto* batch = write_batch::current();
    if (!batch)
      return false;
    auto keep = owner_.lock();
    if (!keep)
      return false; // the connection is being destroyed
    in_batch_ = true;
    batch->add(std::move(keep), this);
    return true;
  }

  /// Keeps what the kernel did not take of a frame (`taken` of `head` then
  /// `body`) as the bytes being written: discard_queued() keeps them, so
  /// the stream stays well-formed. False if it took all.
  bool keep_unsent(std::string_view head, std::string_view body,
                   std::size_t taken) {
    if (taken == head.size() + body.size())
      return false;
    if (taken < head.size())
      sending_.append(head.substr(taken)).append(body);
    else
      sending_.append(body.substr(taken - head.size()));
    sent_ = 0;
    return true;
  }

  // -- batch_writer: the end of the thread's batch -------------------------

  int batch_fd() override {
    return failed_ ? -1 : static_cast<int>(socket_.native_handle());
  }

  std::size_t batch_buffers(iovec (&pieces)[2]) override {
    if (held_) {
      pieces[0] = {held_header_, held_header_bytes_};
      pieces[1] = {const_cast<char*>(held_->data()), held_->size()};
      return 2;
    }
    if (sent_ == sending_.size()) {
      release_sent();
      sending_.swap(filling_);
    }
    if (sent_ == sending_.size())
      return 0;
    pieces[0] = {sending_.data() + sent_, sending_.size() - sent_};
    return 1;
  }

  void batch_sent(long result) override {
    in_batch_ = false;
    count_write_op();
    auto taken = static_cast<std::size_t>(result > 0 ? result : 0);
    bytes_taken_ += taken;
    if (held_) {
      keep_unsent({held_header_, held_header_bytes_}, *held_, taken);
      held_.reset();
    } else {
      sent_ += taken;
    }
    if (result < 0 && result != -EAGAIN && result != -EWOULDBLOCK)
      fail(beast::error_code(static_cast<int>(-result),
                             beast::system_category()));
    else if (backlog_bytes() > 0)
      wait_until_writable(); // the kernel is full
    else
      release_sent();
    notify_if_drained();
  }

  /// Hands the queue to the kernel until it is empty or the kernel is full.
  void flush() {
    for (;;) {
      if (sent_ == sending_.size()) {
        release_sent();
        if (filling_.empty())
          return;
        sending_.swap(filling_); // whole frames only, in order
      }
      beast::error_code ec;
      auto n = socket_.write_some(
          asio::buffer(sending_.data() + sent_, sending_.size() - sent_), ec);
      count_write();
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        wait_until_writable();
        return;
      }
      if (ec) {
        fail(ec);
        return;
      }
      sent_ += n;
      bytes_taken_ += n;
    }
  }

  void wait_until_writable() {
    auto keep = owner_.lock();
    if (!keep)
      return; // the connection is being destroyed
    waiting_ = true;
    socket_.async_wait(tcp::socket::wait_write,
                       [this, keep = std::move(keep)](beast::error_code ec) {
                         waiting_ = false;
                         if (ec)
                           fail(ec);
                         else
                           flush();
                         notify_if_drained();
                       });
  }

  /// Runs the when_drained() callback once nothing waits any more.
  void notify_if_drained() {
    if (!waiting_ && !in_batch_ && on_drained_)
      std::exchange(on_drained_, nullptr)();
  }

  /// Turns the frame held for the batch into queued bytes (another frame
  /// must follow it).
  void unhold() {
    if (!held_)
      return;
    std::string bytes(held_header_, held_header_bytes_);
    bytes.append(*held_).append(filling_);
    filling_.swap(bytes);
    held_.reset();
  }

  void release_sent() {
    std::string().swap(sending_); // an idle connection keeps no buffer
    sent_ = 0;
  }

  /// A write system call of this socket's own.
  void count_write() {
    count_write_op();
    if (total_writes_)
      total_writes_->fetch_add(1, std::memory_order_relaxed);
  }

  /// A write, alone or in a batch (which counts its system calls itself).
  void count_write_op() { ++writes_; }

  /// The read side fails too and ends the session; nothing more is sent.
  void fail(beast::error_code ec) {
    failed_ = ec;
    held_.reset();
    std::string().swap(filling_);
    std::string().swap(sending_);
    sent_ = 0;
  }

  tcp::socket socket_;
  std::weak_ptr<void> owner_;
  std::atomic<uint64_t>* total_writes_ = nullptr;
  uint64_t writes_ = 0;
  uint64_t bytes_taken_ = 0; // by the kernel, since the start
  std::string filling_;      // whole frames no write has started on
  std::string sending_;      // whole frames being written; sent_ bytes are out
  std::size_t sent_ = 0;
  bool waiting_ = false;  // for the kernel to take more
  bool in_batch_ = false; // queued in this thread's write batch
  // A text frame waiting for the batch without a copy: its header here,
  // its payload shared with the other members' connections.
  std::shared_ptr<const std::string> held_;
  char held_header_[10];
  uint8_t held_header_bytes_ = 0;
  beast::error_code failed_;
  std::function<void()> on_drained_; // set while a close waits for the queue
};

} // namespace chat::net
