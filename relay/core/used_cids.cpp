#include "relay/core/used_cids.hpp"

#include <new>

namespace qrlogin::relay {

bool UsedCids::insert(const Cid& cid, TimePoint forget_at) {
  auto key = hasher_(cid);
  if (contains_key(key)) return false;
  if (size_ == ring_capacity_) resize(ring_capacity_ == 0 ? kMinCapacity : 2 * ring_capacity_);
  auto position = ring_at(size_);
  ring_[position] = Entry{key, forget_at.time_since_epoch().count()};
  ++size_;
  place(static_cast<std::uint32_t>(position));
  return true;
}

bool UsedCids::contains(const Cid& cid) const noexcept { return size_ > 0 && contains_key(hasher_(cid)); }

bool UsedCids::contains_key(std::uint64_t key) const noexcept {
  if (size_ == 0) return false;
  for (auto i = home(key);; i = (i + 1) & index_mask_) {
    auto value = index_[i];
    if (value == 0) return false;
    if (ring_[value - 1].key == key) return true;
  }
}

void UsedCids::forget_through(TimePoint now) {
  auto limit = now.time_since_epoch().count();
  while (size_ > 0 && ring_[head_].forget_at <= limit) {
    unindex(static_cast<std::uint32_t>(head_));
    head_ = (head_ + 1) & (ring_capacity_ - 1);
    --size_;
  }
  if (size_ == 0) head_ = 0;
  auto target = ring_capacity_;
  while (target > kMinCapacity && size_ <= target / 4) target /= 2;
  if (target != ring_capacity_) resize(target);
}

std::size_t UsedCids::memory_bytes() const noexcept {
  return ring_capacity_ * sizeof(Entry) + (index_ ? (index_mask_ + 1) * sizeof(std::uint32_t) : 0);
}

void UsedCids::place(std::uint32_t position) {
  auto i = home(ring_[position].key);
  while (index_[i] != 0) i = (i + 1) & index_mask_;
  index_[i] = position + 1;
}

void UsedCids::unindex(std::uint32_t position) {
  auto i = home(ring_[position].key);
  while (index_[i] != position + 1) i = (i + 1) & index_mask_;
  // Backward shift: move up every later entry of the run whose home slot
  // is not in (i, j], so every probe still meets its entry before a hole.
  for (auto j = (i + 1) & index_mask_; index_[j] != 0; j = (j + 1) & index_mask_) {
    auto k = home(ring_[index_[j] - 1].key);
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    index_[i] = index_[j];
    i = j;
  }
  index_[i] = 0;
}

void UsedCids::resize(std::size_t ring_capacity) {
  std::unique_ptr<Entry[]> ring(new Entry[ring_capacity]);
  for (std::size_t n = 0; n < size_; ++n) ring[n] = ring_[ring_at(n)];
  auto slots = 2 * ring_capacity;
  std::unique_ptr<std::uint32_t[], Free> index(static_cast<std::uint32_t*>(std::calloc(slots, sizeof(std::uint32_t))));
  if (!index) throw std::bad_alloc();
  ring_ = std::move(ring);
  ring_capacity_ = ring_capacity;
  head_ = 0;
  index_ = std::move(index);
  index_mask_ = slots - 1;
  for (std::size_t n = 0; n < size_; ++n) place(static_cast<std::uint32_t>(n));
}

}  // namespace qrlogin::relay
