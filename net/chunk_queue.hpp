// The bytes a connection has queued for the kernel, as a FIFO of chunks of
// whole frames, each of at most 64 KiB (a larger frame is a chunk alone).
//
// Why: one contiguous buffer the size of a lagging client's backlog is
// copied whenever it grows, so for a moment it is held twice, and the
// allocator keeps the old copies' pages. In chunks, what a connection holds
// stays close to what --max-backlog counts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

namespace chat::net {

class chunk_queue {
public:
  static constexpr std::size_t chunk_bytes = 64 * 1024;

  /// Appends one frame (its header and body) behind everything queued.
  void append(std::string_view head, std::string_view body) {
    auto size = head.size() + body.size();
    if (chunks_.empty()) {
      chunks_.emplace_back(); // grows as it fills: a short queue stays small
    } else if (chunks_.back().size() + size > chunk_bytes) {
      chunks_.emplace_back(); // a lagging connection: whole chunks
      chunks_.back().reserve(std::max(size, chunk_bytes));
    }
    chunks_.back().append(head).append(body);
    bytes_ += size;
  }

  /// Puts whole frames in front of everything queued.
  void prepend(std::string frames) {
    bytes_ += frames.size();
    chunks_.push_front(std::move(frames));
  }

  /// Removes and returns the oldest chunk (empty if none).
  std::string take_front() {
    if (chunks_.empty())
      return {};
    auto front = std::move(chunks_.front());
    chunks_.pop_front();
    bytes_ -= front.size();
    return front;
  }

  std::size_t bytes() const noexcept { return bytes_; }
  bool empty() const noexcept { return bytes_ == 0; }
  std::size_t chunks() const noexcept { return chunks_.size(); }

  /// Drops everything and gives the memory back.
  void clear() {
    std::deque<std::string>().swap(chunks_);
    bytes_ = 0;
  }

private:
  std::deque<std::string> chunks_;
  std::size_t bytes_ = 0;
};

} // namespace chat::net
