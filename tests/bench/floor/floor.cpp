// qrlogin-bench-floor: the physical floor of the relay benchmarks. One thread,
// raw epoll, level-triggered, non-blocking sockets, the minimum of WebSocket
// (RFC 6455 upgrade, unfragmented frames, masking, close, ping) and of the
// relay protocol the load generator speaks: a receiver opens a channel and
// gets `joined`; a sender joins it (`joined` with peer true, the receiver
// gets `peer joined`); binary frames are unmasked and written to the peer
// with no copy beyond that one; a 1000 close ends the channel (the peer gets
// `peer left` and a 1000 close). No limits, timers, logs, resume, intrusion
// notices or cid memory — except a per-connection bound on what is queued for
// a peer that does not read (the flooder is closed with too_large 4413), so
// the slow-reader scenario stays bounded here too.
//
//   qrlogin-bench-floor [--listen 127.0.0.1:0] [--max-seconds 3600]
// prints {"event":"listening","port":N}; stops on SIGTERM/SIGINT or after
// --max-seconds.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/websocket/detail/hybi13.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

constexpr std::size_t kMaxHeader = 8192;
constexpr std::size_t kMaxFrame = 65809;
constexpr std::size_t kMaxQueued = 2 * 65809 + 4096;  // like the relay's per-channel bound

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Conn;
struct Channel {
  Conn* r = nullptr;
  Conn* s = nullptr;
};

struct Conn {
  int fd = -1;
  bool upgraded = false;
  bool receiver = false;
  bool close_sent = false;       // waiting for the client's close reply
  bool close_after_flush = false;
  bool want_out = false;
  bool dead = false;  // destroyed; freed after the current batch of events
  std::string cid;
  Conn* peer = nullptr;
  std::vector<std::uint8_t> in;
  std::vector<std::uint8_t> out;
  std::size_t out_off = 0;
};

int g_ep = -1;
std::unordered_map<std::string, Channel> g_channels;
std::vector<Conn*> g_graveyard;
std::unordered_set<Conn*> g_conns;

void set_events(Conn* c) {
  bool want = c->out.size() > c->out_off;
  if (want == c->want_out) return;
  c->want_out = want;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.ptr = c;
  epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void destroy(Conn* c);

// Writes what is queued; returns false if the connection is gone.
bool flush(Conn* c) {
  if (c->dead) return false;
  while (c->out_off < c->out.size()) {
    auto n = ::send(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      destroy(c);
      return false;
    }
    c->out_off += static_cast<std::size_t>(n);
  }
  if (c->out_off == c->out.size()) {
    c->out.clear();
    c->out_off = 0;
    if (c->close_after_flush) {
      destroy(c);
      return false;
    }
  } else if (c->out_off > (1u << 16)) {
    c->out.erase(c->out.begin(), c->out.begin() + static_cast<std::ptrdiff_t>(c->out_off));
    c->out_off = 0;
  }
  set_events(c);
  return true;
}

// Appends a server frame header (unmasked) for a payload of n bytes.
void put_header(std::vector<std::uint8_t>& out, std::uint8_t opcode, std::size_t n) {
  out.push_back(static_cast<std::uint8_t>(0x80 | opcode));
  if (n < 126) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 65536) {
    out.push_back(126);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  }
}

void queue_text(Conn* c, std::string_view text) {
  put_header(c->out, 0x1, text.size());
  c->out.insert(c->out.end(), text.begin(), text.end());
}

void queue_close(Conn* c, std::uint16_t code) {
  put_header(c->out, 0x8, 2);
  c->out.push_back(static_cast<std::uint8_t>(code >> 8));
  c->out.push_back(static_cast<std::uint8_t>(code));
  c->close_sent = true;
}

void refuse(Conn* c, std::string_view code, std::uint16_t close_code) {
  std::string text = R"({"type":"error","code":")" + std::string(code) + R"(","message":"refused by the floor"})";
  queue_text(c, text);
  queue_close(c, close_code);
}

void leave(Conn* c) {
  if (c->cid.empty()) return;
  auto it = g_channels.find(c->cid);
  if (it != g_channels.end()) {
    if (it->second.r == c) it->second.r = nullptr;
    if (it->second.s == c) it->second.s = nullptr;
    if (!it->second.r && !it->second.s) g_channels.erase(it);
  }
  if (c->peer) c->peer->peer = nullptr;
  c->peer = nullptr;
  c->cid.clear();
}

void destroy(Conn* c) {
  if (c->dead) return;
  c->dead = true;
  leave(c);
  epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, nullptr);
  ::close(c->fd);
  g_conns.erase(c);
  g_graveyard.push_back(c);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

// Handles the upgrade request in c->in; false if the connection is gone.
bool handle_upgrade(Conn* c, std::size_t header_end) {
  std::string_view req(reinterpret_cast<const char*>(c->in.data()), header_end);
  auto bad = [&] {
    std::string_view resp = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    c->out.insert(c->out.end(), resp.begin(), resp.end());
    c->close_after_flush = true;
    return flush(c);
  };
  constexpr std::string_view prefix = "GET /v1/channels/";
  if (req.substr(0, prefix.size()) != prefix) return bad();
  auto path_end = req.find(' ', prefix.size());
  if (path_end == std::string_view::npos) return bad();
  auto target = req.substr(prefix.size(), path_end - prefix.size());
  auto q = target.find('?');
  if (q != 22) return bad();
  std::string cid(target.substr(0, 22));
  auto query = target.substr(q + 1);
  bool receiver;
  if (query == "role=receiver") receiver = true;
  else if (query == "role=sender") receiver = false;
  else return bad();
  auto low = lower(req);
  auto key_at = low.find("\r\nsec-websocket-key:");
  if (key_at == std::string::npos) return bad();
  key_at += 20;
  auto key_end = low.find("\r\n", key_at);
  auto key = req.substr(key_at, key_end - key_at);
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  boost::beast::websocket::detail::sec_ws_accept_type accept;
  boost::beast::websocket::detail::make_sec_ws_accept(accept, key);
  std::string resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
  resp.append(accept.data(), accept.size());
  resp += "\r\n\r\n";
  c->out.insert(c->out.end(), resp.begin(), resp.end());
  c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(header_end));
  c->upgraded = true;

  auto it = g_channels.find(cid);
  if (receiver) {
    if (it != g_channels.end()) {
      refuse(c, "channel_full", 4409);
      return flush(c);
    }
    g_channels[cid].r = c;
    c->cid = cid;
    c->receiver = true;
    queue_text(c, R"({"type":"joined","role":"receiver","expires_in_ms":120000,"peer":false})");
    return flush(c);
  }
  if (it == g_channels.end() || !it->second.r) {
    refuse(c, "expired", 4404);
    return flush(c);
  }
  if (it->second.s) {
    refuse(c, "channel_full", 4409);
    return flush(c);
  }
  it->second.s = c;
  c->cid = cid;
  c->peer = it->second.r;
  it->second.r->peer = c;
  queue_text(c, R"({"type":"joined","role":"sender","expires_in_ms":120000,"peer":true})");
  queue_text(c->peer, R"({"type":"peer","event":"joined"})");
  if (!flush(c->peer)) return flush(c);
  return flush(c);
}

void unmask_into(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, const std::uint8_t key[4]) {
  std::uint32_t k32;
  std::memcpy(&k32, key, 4);
  std::uint64_t k64 = (static_cast<std::uint64_t>(k32) << 32) | k32;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, src + i, 8);
    v ^= k64;
    std::memcpy(dst + i, &v, 8);
  }
  for (; i < n; ++i) dst[i] = src[i] ^ key[i & 3];
}

// Parses and handles whole frames in c->in; false if the connection is gone.
bool handle_frames(Conn* c) {
  std::size_t off = 0;
  bool ok = true;
  std::vector<Conn*> touched;
  while (ok) {
    auto avail = c->in.size() - off;
    if (avail < 2) break;
    const std::uint8_t* p = c->in.data() + off;
    std::uint8_t b0 = p[0], b1 = p[1];
    std::size_t len = b1 & 0x7f;
    std::size_t hdr = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (static_cast<std::size_t>(p[2]) << 8) | p[3];
      hdr = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      hdr = 10;
    }
    if (!(b1 & 0x80) || !(b0 & 0x80) || len > kMaxFrame) {  // clients mask; no fragments here
      c->close_after_flush = true;
      ok = false;
      break;
    }
    if (avail < hdr + 4 + len) break;
    const std::uint8_t* key = p + hdr;
    const std::uint8_t* payload = key + 4;
    std::uint8_t opcode = b0 & 0x0f;
    off += hdr + 4 + len;
    if (c->close_sent) {
      if (opcode == 0x8) {  // the reply to our close: done
        c->close_after_flush = true;
        ok = false;
      }
      continue;
    }
    if (opcode == 0x2) {
      Conn* peer = c->peer;
      if (!peer || peer->close_sent) continue;
      if (peer->out.size() - peer->out_off > kMaxQueued) {
        refuse(c, "too_large", 4413);
        continue;
      }
      auto& out = peer->out;
      put_header(out, 0x2, len);
      auto at = out.size();
      out.resize(at + len);
      unmask_into(out.data() + at, payload, len, key);
      touched.push_back(peer);
    } else if (opcode == 0x8) {
      std::uint16_t code = 1005;
      if (len >= 2) code = static_cast<std::uint16_t>(((payload[0] ^ key[0]) << 8) | (payload[1] ^ key[1]));
      put_header(c->out, 0x8, 2);
      c->out.push_back(static_cast<std::uint8_t>(code >> 8));
      c->out.push_back(static_cast<std::uint8_t>(code));
      c->close_sent = true;
      c->close_after_flush = true;
      Conn* peer = c->peer;
      if (peer && code == 1000) {
        leave(c);
        queue_text(peer, R"({"type":"peer","event":"left"})");
        queue_close(peer, 1000);
        touched.push_back(peer);
      } else if (peer) {
        leave(c);
        queue_text(peer, R"({"type":"peer","event":"left"})");
        touched.push_back(peer);
      }
      ok = false;
    } else if (opcode == 0x9) {
      put_header(c->out, 0xA, len);
      auto at = c->out.size();
      c->out.resize(at + len);
      unmask_into(c->out.data() + at, payload, len, key);
    } else if (opcode == 0xA) {
      // pong: nothing
    } else {  // text or anything else from a client
      refuse(c, "bad_request", 1008);
    }
  }
  c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(off));
  for (auto* peer : touched) {
    if (peer == c) continue;
    flush(peer);  // may destroy the peer (close_after_flush); leave() already unlinked it
  }
  return flush(c);
}

void on_readable(Conn* c) {
  std::uint8_t buf[65536];
  for (;;) {
    auto n = ::recv(c->fd, buf, sizeof buf, 0);
    if (n == 0) {
      destroy(c);
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      destroy(c);
      return;
    }
    c->in.insert(c->in.end(), buf, buf + n);
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
  if (!c->upgraded) {
    std::string_view data(reinterpret_cast<const char*>(c->in.data()), c->in.size());
    auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (c->in.size() > kMaxHeader) destroy(c);
      return;
    }
    if (!handle_upgrade(c, end + 4)) return;
    if (c->close_after_flush || c->in.empty()) return;
  }
  handle_frames(c);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  double max_seconds = 3600;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view k = argv[i];
    if (k == "--listen") listen = argv[i + 1];
    else if (k == "--max-seconds") max_seconds = std::stod(argv[i + 1]);
    else {
      std::fprintf(stderr, "qrlogin-bench-floor: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  auto colon = listen.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1))));
  if (inet_pton(AF_INET, listen.substr(0, colon).c_str(), &addr.sin_addr) != 1) return 2;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 4096) != 0) {
    std::perror("qrlogin-bench-floor: listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen);
  std::printf("{\"event\":\"listening\",\"port\":%u}\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  g_ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = nullptr;
  epoll_ctl(g_ep, EPOLL_CTL_ADD, lfd, &lev);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                         std::chrono::duration<double>(max_seconds));
  epoll_event events[256];
  while (!g_stop && std::chrono::steady_clock::now() < deadline) {
    int n = epoll_wait(g_ep, events, 256, 200);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      if (!c) {
        for (;;) {
          int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto* nc = new Conn;
          nc->fd = fd;
          g_conns.insert(nc);
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.ptr = nc;
          epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      if (c->dead) continue;  // destroyed earlier in this batch
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        if (!(events[i].events & EPOLLIN)) {
          destroy(c);
          continue;
        }
      }
      if (events[i].events & EPOLLOUT) {
        if (!flush(c)) continue;
      }
      if (events[i].events & EPOLLIN) on_readable(c);
    }
    for (auto* c : g_graveyard) delete c;
    g_graveyard.clear();
  }
  for (auto* c : g_conns) {
    ::close(c->fd);
    delete c;
  }
  ::close(lfd);
  ::close(g_ep);
  return 0;
}
