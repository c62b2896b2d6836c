// parse_channel_target on arbitrary text: errors with a message, never
// crashes; a target that parses rebuilds to one that parses the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "relay/core/target.hpp"

using namespace qrlogin;
using namespace qrlogin::relay;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_channel_target(text);
  if (!parsed.ok()) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  if (!is_channel_target(text)) std::abort();
  std::string rebuilt = std::string(kChannelPathPrefix) + base64url_encode(parsed->cid) +
                        "?role=" + std::string(role_name(parsed->role));
  if (parsed->received) rebuilt += "&received=" + std::to_string(*parsed->received);
  auto again = parse_channel_target(rebuilt);
  if (!again.ok() || again->cid != parsed->cid || again->role != parsed->role || again->received != parsed->received)
    std::abort();
  return 0;
}
