#pragma once
// The header of a WebSocket frame the relay sends (RFC 6455 5.2): one whole
// message (FIN set), text or binary, unmasked as a server's frames are.
// The session writes its queued messages with these headers itself, several
// to a system call (batch_write_stream.hpp).
#include <array>
#include <cstddef>
#include <cstdint>

namespace qrlogin::relay {

struct FrameHeader {
  std::array<std::uint8_t, 10> bytes{};
  std::uint8_t size = 0;
};

constexpr FrameHeader server_frame_header(bool text, std::uint64_t payload_size) noexcept {
  FrameHeader h;
  h.bytes[0] = static_cast<std::uint8_t>(0x80 | (text ? 0x1 : 0x2));
  if (payload_size < 126) {
    h.bytes[1] = static_cast<std::uint8_t>(payload_size);
    h.size = 2;
  } else if (payload_size <= 0xffff) {
    h.bytes[1] = 126;
    h.bytes[2] = static_cast<std::uint8_t>(payload_size >> 8);
    h.bytes[3] = static_cast<std::uint8_t>(payload_size);
    h.size = 4;
  } else {
    h.bytes[1] = 127;
    for (std::size_t i = 0; i < 8; ++i) h.bytes[2 + i] = static_cast<std::uint8_t>(payload_size >> (8 * (7 - i)));
    h.size = 10;
  }
  return h;
}

}  // namespace qrlogin::relay
