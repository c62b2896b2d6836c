#pragma once
// Frames of the load generator and the latency histogram. Every binary frame
// the generator sends carries its stream, a sequence number, the time it was
// meant to be sent, a pattern derived from both, and an FNV-1a checksum of the
// rest, so a relay that drops, reorders, mixes or corrupts frames fails the run.
//
//   [0]      type (pairing: the message type 1..5; forward/flood: 0x10)
//   [1..5)   stream id (little endian)
//   [5..13)  sequence number in the stream
//   [13..21) intended send time, ns on the generator's steady clock
//   [21..n-4) pattern: byte i = seq*31 + stream*7 + i (mod 256)
//   [n-4..n) FNV-1a 32 of bytes [0..n-4)
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "crypto/bytes.hpp"

namespace qrlogin::bench {

constexpr std::size_t kFrameHeader = 21;
constexpr std::size_t kMinFrame = kFrameHeader + 4;

inline std::uint32_t fnv1a(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

inline void fill_frame(std::uint8_t* p, std::size_t n, std::uint8_t type, std::uint32_t stream, std::uint64_t seq,
                       std::uint64_t t_ns) noexcept {
  p[0] = type;
  std::memcpy(p + 1, &stream, 4);
  std::memcpy(p + 5, &seq, 8);
  std::memcpy(p + 13, &t_ns, 8);
  auto x = static_cast<std::uint8_t>(seq * 31 + stream * 7);
  for (std::size_t i = kFrameHeader; i < n - 4; ++i) p[i] = static_cast<std::uint8_t>(x + i);
  std::uint32_t c = fnv1a(p, n - 4);
  std::memcpy(p + n - 4, &c, 4);
}

// Returns an empty string when the frame is the expected one, else what is wrong.
inline const char* check_frame(const std::uint8_t* p, std::size_t n, std::size_t want_n, std::uint8_t type,
                               std::uint32_t stream, std::uint64_t seq, std::uint64_t* t_ns) noexcept {
  if (n != want_n) return "verify_size";
  if (n < kMinFrame) return "verify_size";
  std::uint32_t c;
  std::memcpy(&c, p + n - 4, 4);
  if (c != fnv1a(p, n - 4)) return "verify_checksum";
  std::uint32_t s;
  std::uint64_t q;
  std::memcpy(&s, p + 1, 4);
  std::memcpy(&q, p + 5, 8);
  if (p[0] != type || s != stream) return "verify_stream";
  if (q != seq) return "verify_order";
  auto x = static_cast<std::uint8_t>(seq * 31 + stream * 7);
  for (std::size_t i = kFrameHeader; i < n - 4; ++i)
    if (p[i] != static_cast<std::uint8_t>(x + i)) return "verify_content";
  if (t_ns) std::memcpy(t_ns, p + 13, 8);
  return "";
}

// Log-linear histogram of nanoseconds: 64 sub-buckets per power of two
// (under 1.6% error), fixed size, no allocation.
class Histogram {
 public:
  void record(std::uint64_t v) noexcept {
    ++counts_[index(v)];
    ++total_;
    max_ = std::max(max_, v);
  }
  void merge(const Histogram& o) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  // The value at quantile q (0..1): the upper edge of its bucket, at most max.
  [[nodiscard]] std::uint64_t quantile(double q) const noexcept {
    if (total_ == 0) return 0;
    auto target = static_cast<std::uint64_t>(q * static_cast<double>(total_));
    if (target < 1) target = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= target) return std::min(upper(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSub = 64;
  static std::size_t index(std::uint64_t v) noexcept {
    if (v < kSub) return static_cast<std::size_t>(v);
    int e = 63 - __builtin_clzll(v);  // >= 6
    auto sub = (v >> (e - 6)) & (kSub - 1);
    return static_cast<std::size_t>((e - 5) * kSub) + sub;
  }
  static std::uint64_t upper(std::size_t i) noexcept {
    if (i < kSub) return i;
    int e = static_cast<int>(i / kSub) + 5;
    std::uint64_t sub = i % kSub;
    return ((kSub + sub + 1) << (e - 6)) - 1;
  }
  std::array<std::uint64_t, 64 * kSub> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

// A canonical base64url cid (22 characters, 16 bytes) from two 64-bit words.
inline std::string make_cid(std::uint64_t a, std::uint64_t b) {
  std::array<std::uint8_t, 16> raw{};
  std::memcpy(raw.data(), &a, 8);
  std::memcpy(raw.data() + 8, &b, 8);
  return base64url_encode(raw);
}

}  // namespace qrlogin::bench
