#pragma once
// A WebSocket client by hand on a plain socket, for what no client library
// sends: several X-Forwarded-For lines, pongs nobody asked for, a receive
// buffer that never drains. Blocking, with a receive timeout on the socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qrlogin::testing {

struct RawWebSocket {
  int fd = -1;
  std::string status_line;  // "HTTP/1.1 101 Switching Protocols", or the refusal's
  explicit operator bool() const noexcept { return fd >= 0 && status_line.find(" 101 ") != std::string::npos; }
};

struct RawWebSocketOptions {
  std::uint16_t port = 0;
  std::string target;                                        // /v1/channels/{cid}?role=...
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given, repeats included
  int receive_buffer_bytes = 0;                              // SO_RCVBUF before connecting; 0: the default
  const char* source = nullptr;                              // local address, e.g. "127.0.0.3"
};

inline RawWebSocket raw_websocket(const RawWebSocketOptions& o) {
  RawWebSocket ws;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return ws;
  if (o.receive_buffer_bytes > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o.receive_buffer_bytes, sizeof o.receive_buffer_bytes);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (o.source) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, o.source, &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return ws;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return ws;
  }
  std::string request = "GET " + o.target +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: qrlogin.v1\r\n";
  for (const auto& [name, value] : o.headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return ws;
  }
  // The response head, byte by byte: what follows it is WebSocket frames.
  std::string head;
  char c = 0;
  while (head.size() < 8192 && !head.ends_with("\r\n\r\n") && ::recv(fd, &c, 1, 0) == 1) head.push_back(c);
  ws.fd = fd;
  ws.status_line = head.substr(0, head.find("\r\n"));
  return ws;
}

// One masked client frame of any size, appended to `out`: several can go
// to the relay in one send().
inline void raw_append_frame(std::string& out, std::uint8_t opcode, std::string_view payload, bool fin = true) {
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | opcode));
  auto size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xffff) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xff));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  out.append(mask, 4);
  for (std::size_t i = 0; i < size; ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
}

inline bool raw_send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

inline bool raw_send_frame(int fd, std::uint8_t opcode, const std::string& payload = {}, bool fin = true) {
  std::string frame;
  raw_append_frame(frame, opcode, payload, fin);
  return raw_send_all(fd, frame);
}

inline bool raw_send_pong(int fd) { return raw_send_frame(fd, 0xA); }

// The next frame from the relay (unmasked): opcode and payload; nothing on
// a timeout or the end of the stream.
struct RawFrame {
  std::uint8_t opcode = 0;
  std::string payload;
};
inline std::optional<RawFrame> raw_read_frame(int fd) {
  auto read_exact = [fd](void* out, std::size_t n) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      auto got = ::recv(fd, p, n, 0);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  };
  std::uint8_t h[2];
  if (!read_exact(h, 2)) return std::nullopt;
  std::uint64_t len = h[1] & 0x7f;
  if (len == 126) {
    std::uint8_t b[2];
    if (!read_exact(b, 2)) return std::nullopt;
    len = (std::uint64_t{b[0]} << 8) | b[1];
  } else if (len == 127) {
    std::uint8_t b[8];
    if (!read_exact(b, 8)) return std::nullopt;
    len = 0;
    for (auto x : b) len = (len << 8) | x;
  }
  if (len > (1u << 20)) return std::nullopt;
  RawFrame frame;
  frame.opcode = h[0] & 0x0f;
  frame.payload.resize(len);
  if (len > 0 && !read_exact(frame.payload.data(), len)) return std::nullopt;
  return frame;
}

// Closes with an RST (SO_LINGER 0), as a phone losing its network would.
inline void raw_reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

}  // namespace qrlogin::testing
