#include "tests/support/cut_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>

namespace qrlogin::testing {

namespace {

// Closes a socket with an RST: SO_LINGER with a zero timeout drops what is
// unsent and resets the connection instead of a FIN.
void reset_socket(int& fd) {
  if (fd < 0) return;
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
  fd = -1;
}

void close_socket(int& fd) {
  if (fd < 0) return;
  ::close(fd);
  fd = -1;
}

void signal_fd(int fd) {
  std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);
}

bool send_all(int fd, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    auto sent = ::send(fd, data, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

// Follows one direction of a WebSocket connection: the HTTP head up to the
// blank line, then frame headers and payloads, numbering binary messages.
struct Stream {
  bool in_head = true;
  std::uint32_t last4 = 0;
  std::array<std::uint8_t, 14> header{};
  std::size_t header_len = 0;
  std::size_t header_need = 2;
  std::uint64_t payload_left = 0;
  int binary_messages = 0;  // binary messages started
  int binary_open = -1;     // a fragmented binary message in progress
  int current = -1;         // the binary message whose payload is passing, or -1
  std::uint64_t seen = 0;   // payload bytes of `current` so far

  // Feeds n bytes; when (message, payload_bytes) is reached inside them,
  // returns how many of them come before that point.
  std::optional<std::size_t> feed(const std::uint8_t* data, std::size_t n, int message, std::uint64_t payload_bytes) {
    std::size_t i = 0;
    auto at_point = [&] { return current >= 0 && current == message && seen == payload_bytes; };
    while (i < n) {
      if (in_head) {
        last4 = (last4 << 8) | std::uint32_t{data[i++]};
        if (last4 == 0x0d0a0d0au) in_head = false;
        continue;
      }
      if (payload_left == 0) {
        header[header_len++] = data[i++];
        if (header_len == 2) {
          unsigned len7 = header[1] & 0x7fu;
          std::size_t length_bytes = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
          std::size_t mask_bytes = (header[1] & 0x80u) != 0 ? 4 : 0;
          header_need = 2 + length_bytes + mask_bytes;
        }
        if (header_len < header_need) continue;
        unsigned len7 = header[1] & 0x7fu;
        std::uint64_t length = len7;
        if (len7 == 126) length = (std::uint64_t{header[2]} << 8) | std::uint64_t{header[3]};
        if (len7 == 127) {
          length = 0;
          for (std::size_t k = 2; k < 10; ++k) length = (length << 8) | std::uint64_t{header[k]};
        }
        bool fin = (header[0] & 0x80u) != 0;
        unsigned opcode = header[0] & 0x0fu;
        if (opcode == 2) {
          current = binary_messages++;
          seen = 0;
          binary_open = fin ? -1 : current;
        } else if (opcode == 0) {
          current = binary_open;
          if (fin) binary_open = -1;
        } else {
          current = -1;  // text or control frames
        }
        payload_left = length;
        header_len = 0;
        header_need = 2;
        if (at_point()) return i;
        continue;
      }
      auto take = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left, n - i));
      if (current >= 0 && current == message && seen < payload_bytes && seen + take >= payload_bytes)
        return i + static_cast<std::size_t>(payload_bytes - seen);
      seen += take;
      payload_left -= take;
      i += take;
    }
    return std::nullopt;
  }
};

}  // namespace

struct CutProxy::Pair {
  int client = -1;
  int upstream = -1;
  int wake = -1;
  std::atomic<bool> cut{false};
  std::atomic<bool> stop{false};
  std::array<Stream, 2> streams;  // [to_relay, to_client]
  ~Pair() { close_socket(wake); }
};

CutProxy::CutProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (listen_fd_ < 0 || stop_fd_ < 0) throw std::runtime_error("cut proxy: socket failed");
  int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("cut proxy: cannot listen");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

CutProxy::~CutProxy() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& pair : pairs_) {
      pair->stop = true;
      signal_fd(pair->wake);
    }
  }
  signal_fd(stop_fd_);
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& t : threads_) t.join();
  close_socket(listen_fd_);
  close_socket(stop_fd_);
}

void CutProxy::accept_loop() {
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{listen_fd_, POLLIN, 0}, pollfd{stop_fd_, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::unique_lock lock(mutex_);
    if (stopping_) {
      close_socket(client);
      return;
    }
    ++connections_;
    if (down_) {
      ++refused_;
      reset_socket(client);
      cv_.notify_all();
      continue;
    }
    lock.unlock();
    int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(upstream_port_);
    if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close_socket(upstream);
      reset_socket(client);
      continue;
    }
    int yes = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto pair = std::make_shared<Pair>();
    pair->client = client;
    pair->upstream = upstream;
    pair->wake = ::eventfd(0, EFD_CLOEXEC);
    lock.lock();
    pairs_.push_back(pair);
    threads_.emplace_back([this, pair] { pump(pair); });
  }
}

void CutProxy::pump(const std::shared_ptr<Pair>& pair) {
  std::array<bool, 2> open{true, true};  // reading from [client, upstream]
  std::array<std::uint8_t, 16384> buf{};
  auto finish = [&](bool reset) {
    if (reset) {
      reset_socket(pair->client);
      reset_socket(pair->upstream);
    } else {
      close_socket(pair->client);
      close_socket(pair->upstream);
    }
  };
  for (;;) {
    std::array<pollfd, 3> fds{pollfd{pair->client, static_cast<short>(open[0] ? POLLIN : 0), 0},
                              pollfd{pair->upstream, static_cast<short>(open[1] ? POLLIN : 0), 0},
                              pollfd{pair->wake, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return finish(true);
    }
    if (fds[2].revents != 0) return finish(pair->cut.load() || !pair->stop.load());
    for (std::size_t side = 0; side < 2; ++side) {
      if (!open[side] || fds[side].revents == 0) continue;
      int src = side == 0 ? pair->client : pair->upstream;
      int dst = side == 0 ? pair->upstream : pair->client;
      auto n = ::recv(src, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return finish(true);  // an RST on one side goes on to the other
      if (n == 0) {                    // a FIN goes on as a FIN
        ::shutdown(dst, SHUT_WR);
        open[side] = false;
        if (!open[0] && !open[1]) return finish(false);
        continue;
      }
      auto count = static_cast<std::size_t>(n);
      std::size_t forward = count;
      bool cut_here = false;
      {
        std::lock_guard lock(mutex_);
        auto direction = side == 0 ? Direction::to_relay : Direction::to_client;
        bool armed = rule_ && rule_->direction == direction;
        auto at = pair->streams[side].feed(buf.data(), count, armed ? rule_->message : -2,
                                           armed ? rule_->payload_bytes : 0);
        if (armed && at) {
          forward = *at;
          cut_here = true;
          if (rule_->stay_down) down_ = true;
          rule_.reset();
        }
      }
      if (forward > 0 && !send_all(dst, buf.data(), forward)) return finish(true);
      if (cut_here) {
        finish(true);
        cut_all(pair.get());
        note_cut();
        return;
      }
    }
  }
}

void CutProxy::cut_all(const Pair* except) {
  std::lock_guard lock(mutex_);
  for (auto& pair : pairs_) {
    if (pair.get() == except) continue;
    pair->cut = true;
    signal_fd(pair->wake);
  }
}

void CutProxy::note_cut() {
  {
    std::lock_guard lock(mutex_);
    ++cuts_;
  }
  cv_.notify_all();
}

void CutProxy::cut_at(Direction direction, int message, std::size_t payload_bytes, bool stay_down) {
  std::lock_guard lock(mutex_);
  rule_ = Rule{direction, message, payload_bytes, stay_down};
}

void CutProxy::cut_now() {
  cut_all(nullptr);
  note_cut();
}

void CutProxy::set_down(bool down) {
  std::lock_guard lock(mutex_);
  down_ = down;
}

bool CutProxy::wait_cuts(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return cuts_ >= count; });
}

int CutProxy::cuts() const {
  std::lock_guard lock(mutex_);
  return cuts_;
}

int CutProxy::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

int CutProxy::refused_while_down() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

}  // namespace qrlogin::testing
