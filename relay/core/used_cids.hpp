#pragma once
// The cids of ended channels, each remembered until its forget time, so a
// channel is never opened twice within that window (Registry::end_channel).
//
// Compact because a busy relay remembers every cid of the last lifetime +
// grace (150 s by default). A cid is kept as its 64-bit SipHash under the
// process's random key (CidHash): two cids share one only by chance
// (about n / 2^64 for n remembered), and clients cannot aim at it; the
// cost of such a chance is one fresh cid refused as `expired`. 16 bytes an
// entry in a ring, in the order the cids were remembered (forget times
// rise with it, so the oldest leave from its front), and an open-addressing
// index of 4-byte ring positions, at most half full (linear probing,
// deletion by backward shift, no tombstones): 24 bytes per ring slot. The
// ring doubles when full and halves while a quarter full or less.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "relay/core/types.hpp"

namespace qrlogin::relay {

class UsedCids {
 public:
  using Hasher = std::uint64_t (*)(const Cid&) noexcept;
  // `hasher`: tests pass one whose low bits collide on purpose.
  explicit UsedCids(Hasher hasher = &keyed_hash) noexcept : hasher_(hasher) {}

  // Remembers `cid` until `forget_at`; false (nothing changes) when it is
  // remembered already. A forget time earlier than the newest one waits
  // behind it (the order is the order of insertion).
  bool insert(const Cid& cid, TimePoint forget_at);
  [[nodiscard]] bool contains(const Cid& cid) const noexcept;
  // Forgets the oldest cids while their forget time is <= `now`.
  void forget_through(TimePoint now);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return ring_capacity_; }
  // The bytes the ring and the index take.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  static std::uint64_t keyed_hash(const Cid& cid) noexcept { return CidHash{}(cid); }

 private:
  struct Entry {
    std::uint64_t key;  // hasher_(cid)
    TimePoint::rep forget_at;
  };
  struct Free {
    void operator()(void* p) const noexcept { std::free(p); }
  };
  static constexpr std::size_t kMinCapacity = 16;

  [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept { return key & index_mask_; }
  [[nodiscard]] bool contains_key(std::uint64_t key) const noexcept;
  [[nodiscard]] std::size_t ring_at(std::size_t offset) const noexcept {
    return (head_ + offset) & (ring_capacity_ - 1);
  }
  void place(std::uint32_t position);
  void unindex(std::uint32_t position);
  void resize(std::size_t ring_capacity);

  Hasher hasher_;
  // Uninitialised until written, so pages of a fresh ring cost nothing
  // until used.
  std::unique_ptr<Entry[]> ring_;
  std::size_t ring_capacity_ = 0;  // a power of two (or 0)
  std::size_t head_ = 0;           // the oldest entry
  std::size_t size_ = 0;
  // 0: empty; else a ring position + 1. calloc'd: zero pages of a large
  // index are not touched until used.
  std::unique_ptr<std::uint32_t[], Free> index_;
  std::size_t index_mask_ = 0;
};

}  // namespace qrlogin::relay
