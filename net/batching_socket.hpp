// The layer under the WebSocket stream that makes several frames leave in one
// system call. Include only from .cpp files (Beast and Asio templates).
//
// Why: one write() of a small frame to a TCP socket costs far more CPU than
// building the frame, and Beast's async_write sends one message per write.
// Here every write, Beast's own control frames (the 101 response, pongs,
// pings, close) and the chat frames the connection appends alike, is copied
// whole into one output buffer on the connection's strand and completes at
// once. The buffer goes to the kernel with a non-blocking write at once;
// only when the kernel is full does it wait, and everything appended
// meanwhile leaves in the next write. Frames never interleave, leave in the
// order they were appended, and a connection that falls behind sends its
// backlog in a few large writes instead of many small ones.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include "net/beast.hpp"
#include "net/ws_frame.hpp"

namespace chat::net {

class batching_socket {
public:
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;

  explicit batching_socket(tcp::socket&& socket)
      : socket_(std::move(socket)), drained_(socket_.get_executor()) {
    drained_.expires_at(asio::steady_timer::time_point::max());
    // flush() tries the kernel first and must not block if it is full.
    beast::error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  tcp::socket& next_layer() noexcept { return socket_; }

  /// Writes keep `owner` alive until they complete (the object that holds
  /// this socket; set once before the first write).
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  /// Also counts every write system call in `total` (for /metrics).
  void count_writes_in(std::atomic<uint64_t>& total) { total_writes_ = &total; }

  /// Write system calls made so far.
  uint64_t writes() const noexcept { return writes_; }

  /// Queues one unfragmented, unmasked (server to client) text frame.
  void append_text_frame(std::string_view payload) {
    if (failed_)
      return;
    char header[10];
    auto n = ws_frame::encode_text_header(payload.size(), header);
    filling_.append(header, n);
    filling_.append(payload.data(), payload.size());
  }

  /// Hands everything queued to the kernel, in as few writes as it takes;
  /// if the kernel is full, waits until it takes more (appends meanwhile
  /// join the next write).
  void flush() {
    if (waiting_ || failed_)
      return;
    for (;;) {
      if (sent_ == sending_.size()) {
        sending_.clear();
        sent_ = 0;
        if (filling_.empty()) {
          release_if_large(sending_);
          release_if_large(filling_);
          return;
        }
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

  /// Bytes queued or not yet taken by the kernel.
  std::size_t backlog_bytes() const noexcept {
    return filling_.size() + (sending_.size() - sent_);
  }

  /// Drops the frames not yet handed to a write; the batch being written is
  /// finished, so the stream stays well-formed.
  void discard_queued() {
    filling_.clear();
    release_if_large(filling_);
  }

  // -- AsyncReadStream: reads go straight to the socket ----------------------

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // -- AsyncWriteStream: Beast's writes are queued whole ---------------------

  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    return asio::async_initiate<Handler, void(beast::error_code, std::size_t)>(
        [this](auto&& h, const ConstBuffers& bufs) {
          beast::error_code ec;
          std::size_t n = 0;
          if (failed_) {
            ec = failed_;
          } else {
            n = asio::buffer_size(bufs);
            auto at = filling_.size();
            filling_.resize(at + n);
            asio::buffer_copy(asio::buffer(&filling_[at], n), bufs);
            flush();
          }
          // Never complete inside the initiating function.
          asio::post(get_executor(),
                     beast::bind_front_handler(std::move(h), ec, n));
        },
        handler, buffers);
  }

  // -- teardown: the close frame must leave before the socket shuts down ----

  template <class Handler>
  void async_teardown_after_drain(beast::role_type role, Handler&& handler) {
    flush();
    if (!waiting_) {
      beast::websocket::async_teardown(role, socket_,
                                       std::forward<Handler>(handler));
      return;
    }
    drained_.async_wait([this, role, h = std::forward<Handler>(handler)](
                            beast::error_code) mutable {
      beast::websocket::async_teardown(role, socket_, std::move(h));
    });
  }

private:
  /// An idle connection should hold no more than a frame's worth of buffer
  /// (thousands of them are idle at once; an allocation is cheap next to
  /// the write it serves).
  static void release_if_large(std::string& s) {
    if (s.capacity() > 512)
      std::string().swap(s);
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
                         if (!waiting_)
                           drained_.cancel(); // wakes a waiting teardown
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
    filling_.clear();
    sending_.clear();
    sent_ = 0;
    release_if_large(filling_);
    release_if_large(sending_);
  }

  tcp::socket socket_;
  asio::steady_timer drained_; // a waiting teardown wakes when cancelled
  std::weak_ptr<void> owner_;
  std::atomic<uint64_t>* total_writes_ = nullptr;
  uint64_t writes_ = 0;
  std::string filling_; // whole frames no write has started on
  std::string sending_; // whole frames being written; sent_ bytes are out
  std::size_t sent_ = 0;
  bool waiting_ = false; // for the kernel to take more
  beast::error_code failed_;
};

/// Found by argument-dependent lookup from Beast's close and read paths.
template <class Handler>
void async_teardown(beast::role_type role, batching_socket& socket,
                    Handler&& handler) {
  socket.async_teardown_after_drain(role, std::forward<Handler>(handler));
}

/// The synchronous form, for completeness: Beast's blocking close uses it.
inline void teardown(beast::role_type role, batching_socket& socket,
                     beast::error_code& ec) {
  beast::websocket::teardown(role, socket.next_layer(), ec);
}

} // namespace chat::net
