// parse_link on arbitrary text: errors, never crashes; a link that parses
// rebuilds to a link that parses to the same key and relay.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/pairing/link.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto link = parse_link(text);
  if (!link) {
    if (link.error().message.empty()) std::abort();
    return 0;
  }
  auto rebuilt = build_link(link->page_url.substr(0, link->page_url.find('?')), link->receiver_public_key,
                            link->relay_url);
  if (!rebuilt) return 0;  // a page URL with other query parameters may not rebuild the same way
  auto again = parse_link(*rebuilt);
  if (!again || again->receiver_public_key != link->receiver_public_key || again->relay_url != link->relay_url)
    std::abort();
  return 0;
}
