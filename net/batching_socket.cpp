#include "net/batching_socket.hpp"

#include <array>
#include <cerrno>
#include <utility>

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <boost/asio/buffer.hpp>

#include "net/ws_frame.hpp"

namespace chat::net {

namespace asio = boost::asio;
using boost::system::error_code;

batching_socket::batching_socket(socket_type&& socket)
    : socket_(std::move(socket)) {
  // Writes try the kernel first and must not block if it is full.
  error_code ignored;
  socket_.non_blocking(true, ignored);
}

void batching_socket::send_frame(uint8_t opcode, std::string_view payload) {
  char header[10];
  auto n = ws_frame::encode_header(opcode, payload.size(), header);
  send(std::string_view(header, n), payload);
}

void batching_socket::send_text(std::shared_ptr<const std::string> payload) {
  if (!failed_ && !waiting_ && !in_batch_ && backlog_bytes() == 0 &&
      join_batch()) {
    held_header_bytes_ = static_cast<uint8_t>(
        ws_frame::encode_text_header(payload->size(), held_header_));
    held_ = std::move(payload);
    return;
  }
  send_frame(ws_frame::op_text, *payload);
}

std::size_t batching_socket::backlog_bytes() const noexcept {
  auto held = held_ ? held_header_bytes_ + held_->size() : 0;
  return held + filling_.bytes() + (sending_.size() - sent_);
}

std::size_t batching_socket::unacknowledged_bytes() const noexcept {
  int unacked = 0;
  if (failed_ || ::ioctl(const_cast<socket_type&>(socket_).native_handle(),
                         SIOCOUTQ, &unacked) != 0)
    return 0;
  return static_cast<std::size_t>(unacked);
}

void batching_socket::discard_queued() {
  held_.reset();
  filling_.clear();
}

void batching_socket::when_drained(std::function<void()> then) {
  if (!waiting_ && !in_batch_) {
    then();
    return;
  }
  on_drained_ = std::move(then);
}

void batching_socket::send(std::string_view head, std::string_view body) {
  if (failed_)
    return;
  if (waiting_ || in_batch_ || backlog_bytes() > 0) {
    unhold();                    // the held frame goes first
    filling_.append(head, body); // leaves with the next write
    return;
  }
  if (join_batch()) {
    filling_.append(head, body);
    return;
  }
  error_code ec;
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head),
                                         asio::buffer(body)};
  auto n = socket_.write_some(bufs, ec);
  count_write();
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    fail(ec);
    return;
  }
  if (keep_unsent(head, body, n))
    wait_until_writable();
}

/// Queues this socket in the calling thread's write batch, if it has one
/// and runs this socket's context (the batch writes outside the strand, so
/// it may only touch sockets whose handlers all run on its thread).
bool batching_socket::join_batch() {
  auto* batch = write_batch::current();
  if (!batch || &batch->context() != &socket_.get_executor().context())
    return false;
  auto keep = owner_.lock();
  if (!keep)
    return false; // the connection is being destroyed
  in_batch_ = true;
  batch->add(std::move(keep), this);
  return true;
}

/// Keeps what the kernel did not take of a frame (`taken` of `head` then
/// `body`) as the bytes being written: discard_queued() keeps them, so the
/// stream stays well-formed. False if it took all.
bool batching_socket::keep_unsent(std::string_view head, std::string_view body,
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

int batching_socket::batch_fd() {
  return failed_ ? -1 : static_cast<int>(socket_.native_handle());
}

std::size_t batching_socket::batch_buffers(iovec (&pieces)[2]) {
  if (held_) {
    pieces[0] = {held_header_, held_header_bytes_};
    pieces[1] = {const_cast<char*>(held_->data()), held_->size()};
    return 2;
  }
  if (sent_ == sending_.size()) {
    release_sent();
    sending_ = filling_.take_front();
  }
  if (sent_ == sending_.size())
    return 0;
  pieces[0] = {sending_.data() + sent_, sending_.size() - sent_};
  return 1;
}

void batching_socket::batch_sent(long result) {
  in_batch_ = false;
  ++writes_; // the batch counts its system calls itself
  auto taken = static_cast<std::size_t>(result > 0 ? result : 0);
  if (held_) {
    keep_unsent({held_header_, held_header_bytes_}, *held_, taken);
    held_.reset();
  } else {
    sent_ += taken;
  }
  if (result < 0 && result != -EAGAIN && result != -EWOULDBLOCK)
    fail(error_code(static_cast<int>(-result),
                    boost::system::system_category()));
  else if (backlog_bytes() > 0)
    wait_until_writable(); // the kernel is full
  else
    release_sent();
  notify_if_drained();
}

/// Hands the queue to the kernel until it is empty or the kernel is full.
void batching_socket::flush() {
  for (;;) {
    if (sent_ == sending_.size()) {
      release_sent();
      if (filling_.empty())
        return;
      sending_ = filling_.take_front(); // whole frames, in order
    }
    error_code ec;
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

void batching_socket::wait_until_writable() {
  auto keep = owner_.lock();
  if (!keep)
    return; // the connection is being destroyed
  waiting_ = true;
  socket_.async_wait(socket_type::wait_write,
                     [this, keep = std::move(keep)](error_code ec) {
                       waiting_ = false;
                       if (ec)
                         fail(ec);
                       else
                         flush();
                       notify_if_drained();
                     });
}

/// Runs the when_drained() callback once nothing waits any more.
void batching_socket::notify_if_drained() {
  if (!waiting_ && !in_batch_ && on_drained_)
    std::exchange(on_drained_, nullptr)();
}

/// Turns the frame held for the batch into queued bytes (another frame
/// must follow it).
void batching_socket::unhold() {
  if (!held_)
    return;
  std::string frame(held_header_, held_header_bytes_);
  frame.append(*held_);
  filling_.prepend(std::move(frame));
  held_.reset();
}

void batching_socket::release_sent() {
  std::string().swap(sending_); // an idle connection keeps no buffer
  sent_ = 0;
}

/// A write system call of this socket's own.
void batching_socket::count_write() {
  ++writes_;
  if (total_writes_)
    total_writes_->fetch_add(1, std::memory_order_relaxed);
}

/// The peer is gone: drop everything, close the socket (which also ends a
/// pending read or wait) and tell the owner, once.
void batching_socket::fail(error_code ec) {
  if (failed_)
    return;
  failed_ = ec ? ec : asio::error::broken_pipe;
  held_.reset();
  filling_.clear();
  std::string().swap(sending_);
  sent_ = 0;
  error_code ignored;
  socket_.close(ignored);
  if (on_failure_)
    std::exchange(on_failure_, nullptr)();
}

} // namespace chat::net
