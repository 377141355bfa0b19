// The socket under a WebSocket connection that makes queued frames leave in
// one system call. Include only from .cpp files (Asio templates).
//
// Why: one write() of a small frame to a TCP socket costs far more CPU than
// building the frame. A frame that finds nothing queued goes to the kernel
// at once (header and payload in one gathering write, no copy); only when
// the kernel is full is it copied into one output buffer, and everything
// queued meanwhile leaves in the next write. Frames never interleave and
// leave in the order they were sent; a connection that falls behind sends
// its backlog in a few large writes instead of many small ones. All calls
// come from the connection's strand.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>

#include "net/beast.hpp"
#include "net/ws_frame.hpp"

namespace chat::net {

class batching_socket {
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

  /// Write system calls made so far.
  uint64_t writes() const noexcept { return writes_; }

  /// Sends one unfragmented, unmasked (server to client) frame.
  void send_frame(uint8_t opcode, std::string_view payload) {
    char header[10];
    auto n = ws_frame::encode_header(opcode, payload.size(), header);
    send(std::string_view(header, n), payload);
  }

  /// Sends bytes that are not a frame (the HTTP 101 response).
  void send_raw(std::string_view bytes) { send(bytes, {}); }

  /// Bytes the kernel has not taken yet.
  std::size_t backlog_bytes() const noexcept {
    return filling_.size() + (sending_.size() - sent_);
  }

  /// The socket failed (the peer is gone); nothing more is sent.
  bool failed() const noexcept { return static_cast<bool>(failed_); }

  /// Drops the frames not yet handed to a write; the batch being written is
  /// finished, so the stream stays well-formed.
  void discard_queued() { std::string().swap(filling_); }

  /// Calls `then` once the kernel has taken everything queued, or the socket
  /// failed: at once if nothing waits (used before shutting the socket).
  void when_drained(std::function<void()> then) {
    if (!waiting_) {
      then();
      return;
    }
    on_drained_ = std::move(then);
  }

private:
  void send(std::string_view head, std::string_view body) {
    if (failed_)
      return;
    if (waiting_ || backlog_bytes() > 0) {
      filling_.append(head).append(body); // leaves with the next write
      return;
    }
    beast::error_code ec;
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head),
                                           asio::buffer(body)};
    auto n = socket_.write_some(bufs, ec);
    count_write();
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      fail(ec);
      return;
    }
    if (n == head.size() + body.size())
      return; // the usual case: nothing is kept
    // The rest of a frame the kernel took part of: being written, so
    // discard_queued() keeps it and the stream stays well-formed.
    if (n < head.size())
      sending_.append(head.substr(n)).append(body);
    else
      sending_.append(body.substr(n - head.size()));
    sent_ = 0;
    wait_until_writable();
  }

  /// Hands the queue to the kernel until it is empty or the kernel is full.
  void flush() {
    for (;;) {
      if (sent_ == sending_.size()) {
        std::string().swap(sending_); // an idle connection keeps no buffer
        sent_ = 0;
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
                         if (!waiting_ && on_drained_)
                           std::exchange(on_drained_, nullptr)();
                       });
  }

  void count_write() {
    ++writes_;
    if (total_writes_)
      total_writes_->fetch_add(1, std::memory_order_relaxed);
  }

  /// The read side fails too and ends the session; nothing more is sent.
  void fail(beast::error_code ec) {
    failed_ = ec;
    std::string().swap(filling_);
    std::string().swap(sending_);
    sent_ = 0;
  }

  tcp::socket socket_;
  std::weak_ptr<void> owner_;
  std::atomic<uint64_t>* total_writes_ = nullptr;
  uint64_t writes_ = 0;
  std::string filling_; // whole frames no write has started on
  std::string sending_; // whole frames being written; sent_ bytes are out
  std::size_t sent_ = 0;
  bool waiting_ = false; // for the kernel to take more
  beast::error_code failed_;
  std::function<void()> on_drained_; // set while a close waits for the queue
};

} // namespace chat::net
