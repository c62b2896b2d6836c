#include "relay/core/deadline_queue.hpp"

#include <utility>

namespace qrlogin::relay {

void DeadlineQueue::set_waker(Waker waker) {
  std::lock_guard lock(mutex_);
  waker_ = std::move(waker);
}

void DeadlineQueue::place(std::size_t i, Entry entry) {
  heap_[i] = entry;
  entry.client->slot_ = static_cast<std::uint32_t>(i);
}

void DeadlineQueue::sift_up(std::size_t i) {
  Entry entry = heap_[i];
  while (i > 0) {
    auto parent = (i - 1) / 2;
    if (!(entry.at < heap_[parent].at)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, entry);
}

void DeadlineQueue::sift_down(std::size_t i) {
  Entry entry = heap_[i];
  const auto n = heap_.size();
  for (;;) {
    auto child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1].at < heap_[child].at) ++child;
    if (!(heap_[child].at < entry.at)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, entry);
}

void DeadlineQueue::remove(std::size_t i) {
  heap_[i].client->slot_ = kNoSlot;
  auto last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  place(i, last);
  sift_down(i);
  sift_up(last.client->slot_);
}

void DeadlineQueue::schedule(Client& client, TimePoint at) {
  Waker wake;
  {
    std::lock_guard lock(mutex_);
    if (client.slot_ == kNoSlot) {
      heap_.push_back({at, &client});
      client.slot_ = static_cast<std::uint32_t>(heap_.size() - 1);
      sift_up(client.slot_);
    } else {
      auto i = client.slot_;
      auto before = heap_[i].at;
      heap_[i].at = at;
      if (at < before) sift_up(i);
      else sift_down(i);
    }
    if (heap_.front().client == &client) wake = waker_;
  }
  if (wake) wake(at);
}

void DeadlineQueue::cancel(Client& client) {
  std::lock_guard lock(mutex_);
  if (client.slot_ != kNoSlot) remove(client.slot_);
  // Shrinks the heap's capacity once it is mostly empty (after a burst of
  // connections), so the queue holds no more than a quarter spare.
  if (heap_.capacity() > 1024 && heap_.size() < heap_.capacity() / 4) heap_.shrink_to_fit();
}

std::vector<DeadlineQueue::Due> DeadlineQueue::take_due(TimePoint now, TimePoint& next) {
  std::vector<Due> due;
  std::lock_guard lock(mutex_);
  while (!heap_.empty() && !(now < heap_.front().at)) {
    auto* client = heap_.front().client;
    remove(0);
    if (auto alive = client->keep_alive()) due.push_back({client, std::move(alive)});
  }
  next = heap_.empty() ? TimePoint::max() : heap_.front().at;
  return due;
}

std::size_t DeadlineQueue::size() const {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

}  // namespace qrlogin::relay
