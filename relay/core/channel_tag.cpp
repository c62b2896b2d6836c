#include "relay/core/channel_tag.hpp"

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"

namespace qrlogin::relay {

ChannelTagger::ChannelTagger(Rng& rng, TimePoint now, std::chrono::hours rotation)
    : rng_(rng), rotation_(rotation), key_(kChannelTagKeyBytes), rotate_at_(now + rotation) {
  rng_.fill(key_.bytes());
}

std::string ChannelTagger::tag(const Cid& cid, TimePoint now) {
  if (now >= rotate_at_) {
    rng_.fill(key_.bytes());
    rotate_at_ = now + rotation_;
  }
  auto mac = hmac_sha256(key_.view(), {ByteView{cid}});
  return hex_encode(ByteView{mac}.first(kChannelTagBytes));
}

}  // namespace qrlogin::relay
