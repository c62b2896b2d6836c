#include "relay/core/frame_log.hpp"

#include <algorithm>

namespace qrlogin::relay {

std::uint64_t FrameLog::append(Frame frame) {
  bytes_ += frame->size();
  frames_.push_back(std::move(frame));
  return next_index() - 1;
}

std::size_t FrameLog::trim_through(std::uint64_t index) {
  if (index < first_) return 0;
  auto count = std::min<std::uint64_t>(index - first_ + 1, frames_.size());
  std::size_t freed = 0;
  for (std::uint64_t i = 0; i < count; ++i) freed += frames_[i]->size();
  frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(count));
  first_ += count;
  sent_ = std::max(sent_, first_);
  bytes_ -= freed;
  if (frames_.empty()) frames_.shrink_to_fit();
  return freed;
}

void FrameLog::mark_sent(std::uint64_t index) noexcept {
  if (index < next_index()) sent_ = std::max(sent_, index + 1);
}

void FrameLog::rewind_sent(std::uint64_t index) noexcept { sent_ = std::min(sent_, index); }

std::size_t FrameLog::evict_sent() {
  if (sent_ <= first_) return 0;
  return trim_through(sent_ - 1);
}

std::vector<FrameLog::Entry> FrameLog::from(std::uint64_t index) const {
  std::vector<Entry> out;
  for (std::size_t i = 0; i < frames_.size(); ++i)
    if (first_ + i >= index) out.push_back({first_ + i, frames_[i]});
  return out;
}

}  // namespace qrlogin::relay
