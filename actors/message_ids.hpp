// Chat message ids: unique and increasing in every order a client can see
// (one room's messages, one sender's messages), across the whole cluster.
//
// Each node keeps a Lamport clock. An id is clock * stride + slot, where
// the slot tells nodes apart, so two nodes never issue the same id. Every
// id a node learns of (a delivery from another node's room, the reply to a
// publish, a joiner's clock) moves its clock past it, so an id issued after
// that is larger. A single node has stride 1 and slot 0: ids 1, 2, 3...
#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

class message_ids {
public:
  /// Ids per clock tick in a cluster: at most this many nodes' slots.
  static constexpr uint64_t cluster_stride = 1024;

  /// Cluster mode (set before any id is issued): ids of this node end in
  /// a slot of their own.
  void enter_cluster(uint64_t slot) {
    stride_ = cluster_stride;
    set_slot(slot);
  }
  /// Another slot, when a peer turned out to use this one.
  void set_slot(uint64_t slot) {
    slot_.store(slot % stride_, std::memory_order_relaxed);
  }
  uint64_t slot() const noexcept {
    return slot_.load(std::memory_order_relaxed);
  }

  /// A new id, above every id this node issued or observed.
  uint64_t next() {
    return (clock_.fetch_add(1, std::memory_order_relaxed) + 1) * stride_ +
           slot();
  }

  /// The id a message of another node carried: later ids are above it.
  void observe(uint64_t id) {
    auto tick = id / stride_;
    auto seen = clock_.load(std::memory_order_relaxed);
    while (tick > seen &&
           !clock_.compare_exchange_weak(seen, tick, std::memory_order_relaxed))
      ;
  }

  /// Every id issued or observed so far is at most this (0: none yet).
  uint64_t high_water() const noexcept {
    return clock_.load(std::memory_order_relaxed) * stride_ + (stride_ - 1);
  }

private:
  std::atomic<uint64_t> clock_{0};
  uint64_t stride_ = 1;
  std::atomic<uint64_t> slot_{0};
};

} // namespace chat
