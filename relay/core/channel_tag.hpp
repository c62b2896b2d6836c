#pragma once
// How logs name a channel: HMAC-SHA256(key, cid)[0..8) in hex. The key is
// random at start and replaced every `rotation` (a day by default), so the
// holder of a QR code cannot find its pairing in old logs, and a plain hash
// of the cid never appears anywhere.
#include <chrono>
#include <string>

#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "relay/core/types.hpp"

namespace qrlogin::relay {

inline constexpr std::size_t kChannelTagKeyBytes = 32;
inline constexpr std::size_t kChannelTagBytes = 8;

class ChannelTagger {
 public:
  ChannelTagger(Rng& rng, TimePoint now, std::chrono::hours rotation = std::chrono::hours{24});
  // 16 hex characters; rotates the key first when it is due.
  std::string tag(const Cid& cid, TimePoint now);

 private:
  Rng& rng_;
  std::chrono::hours rotation_;
  Secret key_;
  TimePoint rotate_at_;
};

}  // namespace qrlogin::relay
