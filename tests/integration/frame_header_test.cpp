// The headers of the frames the relay writes itself (relay/net/frame_header.hpp),
// against RFC 6455's own examples (section 5.7) and the length boundaries.
#include <catch2/catch.hpp>
#include <vector>

#include "relay/net/frame_header.hpp"

namespace qrlogin::relay {
namespace {
std::vector<int> bytes_of(const FrameHeader& h) { return {h.bytes.begin(), h.bytes.begin() + h.size}; }
}  // namespace

TEST_CASE("frame header: RFC 6455's examples of unmasked single frames", "[unit]") {
  CHECK(bytes_of(server_frame_header(true, 5)) == std::vector<int>{0x81, 0x05});             // "Hello"
  CHECK(bytes_of(server_frame_header(false, 256)) == std::vector<int>{0x82, 0x7E, 0x01, 0x00});
  CHECK(bytes_of(server_frame_header(false, 65536)) ==
        std::vector<int>{0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00});
}

TEST_CASE("frame header: each length takes the shortest form", "[unit]") {
  CHECK(bytes_of(server_frame_header(false, 0)) == std::vector<int>{0x82, 0x00});
  CHECK(bytes_of(server_frame_header(false, 125)) == std::vector<int>{0x82, 125});
  CHECK(bytes_of(server_frame_header(false, 126)) == std::vector<int>{0x82, 0x7E, 0x00, 0x7E});
  CHECK(bytes_of(server_frame_header(false, 65535)) == std::vector<int>{0x82, 0x7E, 0xFF, 0xFF});
  CHECK(server_frame_header(true, 0x0102030405060708).size == 10);
  CHECK(bytes_of(server_frame_header(true, 0x0102030405060708)) ==
        std::vector<int>{0x81, 0x7F, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
}

}  // namespace qrlogin::relay
