#include "web/app/notices.hpp"

#include <vector>

namespace qrlogin::app {

Notices::Notices(std::size_t max_per_account, std::size_t max_total)
    : max_per_account_(max_per_account), max_total_(max_total) {}

std::unique_ptr<Notices::Subscription> Notices::subscribe(std::int64_t account_id, Callback callback) {
  std::lock_guard lock(mutex_);
  auto& count = per_account_[account_id];
  if (count >= max_per_account_ || entries_.size() >= max_total_) {
    if (count == 0) per_account_.erase(account_id);
    return nullptr;
  }
  ++count;
  const auto id = next_id_++;
  entries_.emplace(id, Entry{account_id, std::move(callback)});
  return std::make_unique<Subscription>(*this, id);
}

void Notices::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (auto count = per_account_.find(it->second.account_id); count != per_account_.end() && --count->second == 0)
    per_account_.erase(count);
  entries_.erase(it);
}

void Notices::publish(std::int64_t account_id, const Notice& notice) {
  // Callbacks run outside the lock: one may unsubscribe (its stream ended).
  std::vector<Callback> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : entries_)
      if (entry.account_id == account_id) targets.push_back(entry.callback);
  }
  for (const auto& callback : targets) callback(notice);
}

std::size_t Notices::open_streams() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace qrlogin::app
