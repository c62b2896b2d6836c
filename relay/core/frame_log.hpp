#pragma once
// The frames one client sent into a channel, in order, each with its index
// (0, 1, 2, ... per direction). Frames stay after the peer's socket took
// them (a socket that drops loses what the kernel held), until the peer's
// `received=N` on a resume confirms them or the channel ends. Under the
// channel's byte budget the frames the peer's socket already took are the
// first to go (evict_sent). A vector, not a deque: an empty log costs
// nothing, and a log never holds more than the channel's byte budget.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "relay/core/types.hpp"

namespace qrlogin::relay {

class FrameLog {
 public:
  struct Entry {
    std::uint64_t index;
    Frame frame;
  };

  std::uint64_t append(Frame frame);
  // Drops every frame with an index <= `index`; returns the bytes freed.
  std::size_t trim_through(std::uint64_t index);
  // The peer confirmed (with a frame of its own) that its socket took
  // every frame up to `index`.
  void mark_sent(std::uint64_t index) noexcept;
  // A resumed peer gets every frame from `index` again.
  void rewind_sent(std::uint64_t index) noexcept;
  // Drops the frames the peer confirmed; returns the bytes freed.
  std::size_t evict_sent();
  // The frames with an index >= `index`, in order.
  [[nodiscard]] std::vector<Entry> from(std::uint64_t index) const;

  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::uint64_t next_index() const noexcept { return first_ + frames_.size(); }
  [[nodiscard]] std::uint64_t first_index() const noexcept { return first_; }
  [[nodiscard]] std::uint64_t sent_index() const noexcept { return sent_; }
  [[nodiscard]] bool empty() const noexcept { return frames_.empty(); }

 private:
  std::vector<Frame> frames_;
  std::uint64_t first_ = 0;
  std::uint64_t sent_ = 0;  // frames below this index were taken by the peer's socket
  std::size_t bytes_ = 0;
};

}  // namespace qrlogin::relay
