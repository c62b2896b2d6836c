// qrlogin-bench-loadgen: a lean, single-threaded WebSocket load generator for
// the relay benchmarks (docs/benchmarks.md). One scenario per run; one JSON
// line of results on stdout at the end. Every frame received is checked
// (stream, sequence, content, checksum; see frames.hpp); any deviation is an
// error and the run reports ok=false. Bounded: every scenario has a duration
// and a hard deadline after which every socket is closed.
//
//   --scenario pairing|forward|idle|slow   (churn is pairing in a loop)
//   --port P [--host 127.0.0.1] [--sources 32]  source addresses 127.0.0.2..
//   [--sender-port P2]  senders connect to P2 (another relay node of a
//            cluster), receivers to P
//   pairing: --concurrency C (closed loop) | --rate R (open loop), --duration S
//   forward: --channels N --inflight K (closed loop) | --rate R (frames/s, open
//            loop), --frame BYTES, --duration S
//   idle:    --connections N (N/2 channels); prints {"event":"ready"} and holds
//            until a line (or EOF) on stdin or --hold S
//   slow:    --flood-bytes B, --frame BYTES: the sender floods, the receiver
//            never reads; expects the relay to close the sender with too_large
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tests/bench/loadgen/frames.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace qrlogin::bench;
constexpr auto use_awaitable = net::use_awaitable;
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

namespace {

// True when a line waits on stdin (the bench script's signal to stop
// holding idle connections). Kept out of the coroutines: GCC 12 misreads a
// pollfd in a coroutine frame as an overflow.
bool stdin_has_input() {
  pollfd p{0, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

struct Options {
  std::string scenario;
  std::string host = "127.0.0.1";
  unsigned port = 0;
  unsigned sender_port = 0;  // 0: the same as port
  unsigned sources = 32;
  double duration = 5;
  unsigned concurrency = 0;
  double rate = 0;
  unsigned channels = 64;
  unsigned inflight = 1;
  std::size_t frame = 256;
  unsigned connections = 0;
  double hold = 60;
  std::uint64_t flood_bytes = 80ull << 20;
  unsigned max_live = 4000;  // pairings in flight at once (open loop): at most 2x sockets
  double grace = 15;         // after the duration, before everything is cut
};

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

struct Conn;

struct Global {
  net::io_context ioc{1};
  Options opt;
  tcp::endpoint target;
  std::string host;
  tcp::endpoint sender_target;
  std::string sender_host;
  std::uint32_t src_next = 0;
  std::uint64_t cid_seed = 0;
  std::uint64_t next_id = 0;
  std::unordered_set<Conn*> live;
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t error_count = 0;
  Histogram lat;
  std::uint64_t completed = 0;
  std::uint64_t started = 0;
  std::uint64_t lagged = 0;  // open loop: a start or send later than 1 ms after its intended time
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_recv = 0;
  std::uint64_t recv_in_window = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t window_start = 0;
  std::uint64_t window_end = ~0ull;
  unsigned inflight_pairings = 0;
  bool stop_sending = false;
  bool closing = false;
  std::string extra;  // scenario-specific JSON fields

  void error(const std::string& kind) {
    ++error_count;
    ++errors[kind];
  }
};
Global* g = nullptr;

struct Conn {
  websocket::stream<tcp::socket> ws;
  beast::flat_buffer buf;
  explicit Conn(net::io_context& ioc) : ws(ioc) { g->live.insert(this); }
  ~Conn() { g->live.erase(this); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  void kill() {
    beast::error_code ec;
    ws.next_layer().close(ec);
  }
};

// A value of a flat JSON object as text: strings without quotes, others raw.
std::string field(std::string_view s, std::string_view key) {
  std::string pat = "\"" + std::string(key) + "\":";
  auto at = s.find(pat);
  if (at == std::string_view::npos) return {};
  at += pat.size();
  if (at < s.size() && s[at] == '"') {
    auto end = s.find('"', at + 1);
    return end == std::string_view::npos ? std::string() : std::string(s.substr(at + 1, end - at - 1));
  }
  auto end = s.find_first_of(",}", at);
  return std::string(s.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
}

struct Msg {
  enum Kind { binary, joined, peer, intrusion, error, other } kind = other;
  std::string text;
};

net::awaitable<Msg> read_msg(Conn& c) {
  c.buf.clear();
  co_await c.ws.async_read(c.buf, use_awaitable);
  Msg m;
  if (c.ws.got_binary()) {
    m.kind = Msg::binary;
    co_return m;
  }
  m.text = beast::buffers_to_string(c.buf.data());
  auto type = field(m.text, "type");
  if (type == "joined") m.kind = Msg::joined;
  else if (type == "peer") m.kind = Msg::peer;
  else if (type == "intrusion") m.kind = Msg::intrusion;
  else if (type == "error") m.kind = Msg::error;
  co_return m;
}

std::string unexpected(const Msg& m, const char* what) {
  if (m.kind == Msg::error) return "relay_error_" + field(m.text, "code");
  return what;
}

net::awaitable<void> open(Conn& c, const std::string& cid, std::string_view role) {
  auto& s = c.ws.next_layer();
  s.open(tcp::v4());
  int one = 1;
  ::setsockopt(s.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  s.bind(tcp::endpoint(net::ip::address_v4(0x7f000002u + (g->src_next++ % g->opt.sources)), 0));
  s.set_option(tcp::no_delay(true));
  bool sender = role == "sender";
  co_await s.async_connect(sender ? g->sender_target : g->target, use_awaitable);
  c.ws.auto_fragment(false);
  c.ws.read_message_max(1u << 20);
  c.ws.secure_prng(false);
  c.ws.binary(true);
  std::string path = "/v1/channels/";
  path += cid;
  path += "?role=";
  path += role;
  co_await c.ws.async_handshake(sender ? g->sender_host : g->host, path, use_awaitable);
}

net::awaitable<void> expect_joined(Conn& c, std::string_view role, bool peer) {
  auto m = co_await read_msg(c);
  if (m.kind != Msg::joined) throw Fail(unexpected(m, "joined_missing"));
  if (field(m.text, "role") != role) throw Fail("joined_role");
  if (field(m.text, "peer") != (peer ? "true" : "false")) throw Fail("joined_peer");
  if (field(m.text, "expires_in_ms").empty()) throw Fail("joined_expires");
}

net::awaitable<void> expect_peer(Conn& c, std::string_view event) {
  auto m = co_await read_msg(c);
  if (m.kind != Msg::peer || field(m.text, "event") != event) throw Fail(unexpected(m, "peer_event_missing"));
}

net::awaitable<void> send(Conn& c, std::size_t n, std::uint8_t type, std::uint32_t stream, std::uint64_t seq) {
  std::array<std::uint8_t, 512> b;
  fill_frame(b.data(), n, type, stream, seq, now_ns());
  co_await c.ws.async_write(net::buffer(b.data(), n), use_awaitable);
  ++g->frames_sent;
}

net::awaitable<void> recv(Conn& c, std::size_t n, std::uint8_t type, std::uint32_t stream, std::uint64_t seq) {
  auto m = co_await read_msg(c);
  if (m.kind != Msg::binary) throw Fail(unexpected(m, "binary_missing"));
  auto d = c.buf.data();
  auto bad = check_frame(static_cast<const std::uint8_t*>(d.data()), d.size(), n, type, stream, seq, nullptr);
  if (*bad) throw Fail(bad);
  ++g->frames_recv;
}

std::string make_channel_cid(std::uint64_t id) { return make_cid(g->cid_seed, id); }

// One pairing at the contract sizes; latency from `intended` to the sender
// getting RESULT. Then the receiver closes with 1000 and the sender must get
// `peer left` and a 1000 close from the relay.
net::awaitable<void> pairing(std::uint64_t id, Clock::time_point intended) {
  ++g->inflight_pairings;
  ++g->started;
  auto r = std::make_shared<Conn>(g->ioc);
  auto s = std::make_shared<Conn>(g->ioc);
  try {
    auto cid = make_channel_cid(id);
    auto stream = static_cast<std::uint32_t>(id);
    co_await open(*r, cid, "receiver");
    co_await expect_joined(*r, "receiver", false);
    co_await open(*s, cid, "sender");
    co_await expect_joined(*s, "sender", true);
    co_await expect_peer(*r, "joined");
    co_await send(*s, 65, 1, stream, 0);   // HELLO
    co_await recv(*r, 65, 1, stream, 0);
    co_await send(*r, 49, 2, stream, 1);   // READY
    co_await recv(*s, 49, 2, stream, 1);
    co_await send(*s, 49, 3, stream, 2);   // REVEAL
    co_await send(*s, 273, 4, stream, 3);  // CREDENTIAL (a short one)
    co_await recv(*r, 49, 3, stream, 2);
    co_await recv(*r, 273, 4, stream, 3);
    co_await send(*r, 145, 5, stream, 4);  // RESULT
    co_await recv(*s, 145, 5, stream, 4);
    auto done = Clock::now();
    g->lat.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(done - intended).count()));
    co_await r->ws.async_close(websocket::close_code::normal, use_awaitable);
    co_await expect_peer(*s, "left");
    s->buf.clear();
    auto [ec, n] = co_await s->ws.async_read(s->buf, tuple_awaitable);
    if (ec != websocket::error::closed) throw Fail("sender_not_closed");
    if (s->ws.reason().code != websocket::close_code::normal) throw Fail("sender_close_code");
    ++g->completed;
  } catch (const Fail& f) {
    g->error(f.what());
  } catch (const boost::system::system_error& e) {
    g->error("io_" + e.code().message());
  }
  r->kill();
  s->kill();
  --g->inflight_pairings;
}

net::awaitable<void> sleep_for(std::chrono::nanoseconds d) {
  net::steady_timer t(g->ioc);
  t.expires_after(d);
  co_await t.async_wait(tuple_awaitable);
}

net::awaitable<void> sleep_until(Clock::time_point at) {
  net::steady_timer t(g->ioc);
  t.expires_at(at);
  co_await t.async_wait(tuple_awaitable);
}

void cut_everything() {
  std::vector<Conn*> all(g->live.begin(), g->live.end());
  for (auto* c : all) c->kill();
}

// Waits until `done()` or the hard deadline; then cuts every socket.
template <class Done>
net::awaitable<bool> wait_done(Done done, Clock::time_point hard) {
  while (!done() && Clock::now() < hard) co_await sleep_for(std::chrono::milliseconds(5));
  if (done()) co_return true;
  cut_everything();
  while (!done()) co_await sleep_for(std::chrono::milliseconds(5));
  co_return false;
}

// ---- pairing (and churn) ---------------------------------------------------

net::awaitable<void> pairing_worker(Clock::time_point end) {
  while (Clock::now() < end) co_await pairing(g->next_id++, Clock::now());
}

net::awaitable<void> run_pairing() {
  const auto& o = g->opt;
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  auto hard = end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.grace));
  if (o.rate > 0) {
    // Open loop: pairing k starts at t0 + k/rate whatever happened before;
    // its latency counts from then (no coordinated omission).
    for (std::uint64_t k = 0;; ++k) {
      auto at = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(k) / o.rate));
      if (at >= end) break;
      if (at > Clock::now()) co_await sleep_until(at);
      while (g->inflight_pairings >= o.max_live && Clock::now() < hard) co_await sleep_for(std::chrono::microseconds(200));
      if (Clock::now() - at > std::chrono::milliseconds(1)) ++g->lagged;
      net::co_spawn(g->ioc, pairing(g->next_id++, at), net::detached);
    }
  } else {
    for (unsigned i = 0; i < o.concurrency; ++i) net::co_spawn(g->ioc, pairing_worker(end), net::detached);
    co_await sleep_until(end);
  }
  auto elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  bool clean = co_await wait_done([] { return g->inflight_pairings == 0; }, hard);
  if (!clean) g->error("timeout");
  char buf[160];
  std::snprintf(buf, sizeof buf, ",\"elapsed_s\":%.3f,\"per_s\":%.1f", elapsed, static_cast<double>(g->completed) / elapsed);
  g->extra += buf;
}

// ---- paired channels: forward, idle, slow ------------------------------------

struct Side {
  std::shared_ptr<Conn> conn;
  Side* peer = nullptr;           // the other end of the channel
  std::uint32_t out_stream = 0;   // frames this side sends
  std::uint32_t in_stream = 0;    // frames this side receives
  std::uint64_t next_send = 0;
  std::uint64_t next_recv = 0;
  std::deque<std::uint64_t> queue;  // intended send times (ns) of frames not yet written
  std::vector<std::uint8_t> wbuf;
  bool writing = false;
  bool is_receiver = false;
};

struct Channel {
  Side r, s;
};

std::vector<std::unique_ptr<Channel>> g_channels;
unsigned g_readers = 0;
bool g_closed_loop = false;

net::awaitable<void> open_channel(Channel& ch, std::uint64_t id) {
  auto cid = make_channel_cid(id);
  ch.r.conn = std::make_shared<Conn>(g->ioc);
  ch.s.conn = std::make_shared<Conn>(g->ioc);
  ch.r.peer = &ch.s;
  ch.s.peer = &ch.r;
  ch.r.is_receiver = true;
  ch.s.out_stream = ch.r.in_stream = static_cast<std::uint32_t>(2 * id);
  ch.r.out_stream = ch.s.in_stream = static_cast<std::uint32_t>(2 * id + 1);
  co_await open(*ch.r.conn, cid, "receiver");
  co_await expect_joined(*ch.r.conn, "receiver", false);
  co_await open(*ch.s.conn, cid, "sender");
  co_await expect_joined(*ch.s.conn, "sender", true);
  co_await expect_peer(*ch.r.conn, "joined");
}

// Opens channels [0, n) with `parallel` openers.
net::awaitable<void> opener(unsigned n, unsigned* next) {
  while (*next < n) {
    auto i = (*next)++;
    try {
      co_await open_channel(*g_channels[i], i);
    } catch (const Fail& f) {
      g->error(std::string("setup_") + f.what());
    } catch (const boost::system::system_error& e) {
      g->error("setup_io_" + e.code().message());
    }
  }
}

net::awaitable<void> open_channels(unsigned n, unsigned parallel) {
  g_channels.clear();
  for (unsigned i = 0; i < n; ++i) g_channels.push_back(std::make_unique<Channel>());
  unsigned next = 0;
  unsigned running = std::min(parallel, n);
  auto left = std::make_shared<unsigned>(running);
  for (unsigned i = 0; i < running; ++i)
    net::co_spawn(g->ioc, opener(n, &next), [left](std::exception_ptr) { --*left; });
  while (*left > 0) co_await sleep_for(std::chrono::milliseconds(2));
}

void pump(Side& side) {
  if (side.writing || side.queue.empty()) return;
  auto t = side.queue.front();
  side.queue.pop_front();
  auto n = g->opt.frame;
  side.wbuf.resize(n);
  fill_frame(side.wbuf.data(), n, 0x10, side.out_stream, side.next_send++, t);
  side.writing = true;
  side.conn->ws.async_write(net::buffer(side.wbuf.data(), n), [&side](beast::error_code ec, std::size_t) {
    side.writing = false;
    if (ec) {
      if (!g->closing) g->error("io_write_" + ec.message());
      side.queue.clear();
      return;
    }
    ++g->frames_sent;
    pump(side);
  });
}

net::awaitable<void> reader(Side& me) {
  auto& c = *me.conn;
  for (;;) {
    c.buf.clear();
    auto [ec, n] = co_await c.ws.async_read(c.buf, tuple_awaitable);
    if (ec) {
      if (ec != websocket::error::closed && !g->closing) g->error("io_read_" + ec.message());
      break;
    }
    if (!c.ws.got_binary()) {
      auto text = beast::buffers_to_string(c.buf.data());
      if (g->closing && field(text, "type") == "peer" && field(text, "event") == "left") continue;
      g->error(field(text, "type") == "error" ? "relay_error_" + field(text, "code") : "unexpected_text");
      continue;
    }
    auto d = c.buf.data();
    std::uint64_t t = 0;
    auto bad = check_frame(static_cast<const std::uint8_t*>(d.data()), d.size(), g->opt.frame, 0x10, me.in_stream,
                           me.next_recv, &t);
    if (*bad) {
      g->error(bad);
      c.kill();
      break;
    }
    ++me.next_recv;
    ++g->frames_recv;
    auto now = now_ns();
    if (now >= g->window_start && now < g->window_end) {
      ++g->recv_in_window;
      g->lat.record(now - t);
    }
    if (g_closed_loop && !g->stop_sending) {
      me.peer->queue.push_back(now);
      pump(*me.peer);
    }
  }
  --g_readers;
}

void start_readers() {
  for (auto& ch : g_channels)
    for (Side* side : {&ch->r, &ch->s})
      if (side->conn->ws.is_open()) {
        ++g_readers;
        net::co_spawn(g->ioc, reader(*side), net::detached);
      }
}

bool all_delivered() {
  for (auto& ch : g_channels)
    for (Side* side : {&ch->r, &ch->s})
      if (side->conn->ws.is_open() && side->peer->conn->ws.is_open() && side->next_send != side->peer->next_recv)
        return false;
  return true;
}

net::awaitable<void> close_channels(Clock::time_point hard) {
  g->closing = true;
  for (auto& ch : g_channels) {
    auto conn = ch->r.conn;
    if (!conn->ws.is_open()) continue;
    conn->ws.async_close(websocket::close_code::normal, [conn](beast::error_code) {});
  }
  co_await wait_done([] { return g_readers == 0; }, hard);
}

net::awaitable<void> run_forward() {
  const auto& o = g->opt;
  co_await open_channels(o.channels, 64);
  if (g->error_count) {
    cut_everything();
    co_return;
  }
  start_readers();
  std::vector<Side*> sides;
  for (auto& ch : g_channels) {
    sides.push_back(&ch->s);
    sides.push_back(&ch->r);
  }
  auto t0 = Clock::now();
  auto dur = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  auto end = t0 + dur;
  auto hard = end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.grace));
  g->window_start = now_ns();
  g->window_end = g->window_start + static_cast<std::uint64_t>(o.duration * 1e9);
  if (o.rate > 0) {
    // Open loop: frame k is due at t0 + k/rate on side k mod sides, and its
    // latency counts from then even when the generator sends it late.
    std::uint64_t k = 0;
    auto base = g->window_start;
    for (;;) {
      auto now = now_ns();
      if (now >= g->window_end) break;
      bool overload = false;
      for (;;) {
        auto due = base + static_cast<std::uint64_t>(static_cast<double>(k) * 1e9 / o.rate);
        if (due > now) break;
        auto* side = sides[k % sides.size()];
        if (now - due > 1000000) ++g->lagged;
        side->queue.push_back(due);
        pump(*side);
        if (side->queue.size() > 100000) overload = true;
        ++k;
      }
      if (overload) {
        g->error("overload");
        break;
      }
      auto next = base + static_cast<std::uint64_t>(static_cast<double>(k) * 1e9 / o.rate);
      if (next > now + 50000) co_await sleep_for(std::chrono::nanoseconds(next - now));
      else co_await net::post(g->ioc, use_awaitable);
    }
  } else {
    g_closed_loop = true;
    auto now = now_ns();
    for (auto* side : sides) {
      for (unsigned i = 0; i < o.inflight; ++i) side->queue.push_back(now);
      pump(*side);
    }
    co_await sleep_until(end);
  }
  g->stop_sending = true;
  for (auto* side : sides) side->queue.clear();
  if (!co_await wait_done(all_delivered, hard)) g->error("undelivered");
  co_await close_channels(hard + std::chrono::seconds(5));
  char buf[200];
  std::snprintf(buf, sizeof buf, ",\"elapsed_s\":%.3f,\"per_s\":%.1f,\"streams\":%zu", o.duration,
                static_cast<double>(g->recv_in_window) / o.duration, sides.size());
  g->extra += buf;
}

net::awaitable<void> run_idle() {
  const auto& o = g->opt;
  auto t0 = Clock::now();
  co_await open_channels(o.connections / 2, 128);
  start_readers();
  unsigned open = 0;
  for (auto& ch : g_channels) open += static_cast<unsigned>(ch->r.conn->ws.is_open()) + static_cast<unsigned>(ch->s.conn->ws.is_open());
  double ramp = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("{\"event\":\"ready\",\"connections\":%u,\"errors\":%llu,\"ramp_s\":%.2f}\n", open,
              static_cast<unsigned long long>(g->error_count), ramp);
  std::fflush(stdout);
  auto hold_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.hold));
  for (;;) {
    if (stdin_has_input() || Clock::now() >= hold_end) break;
    co_await sleep_for(std::chrono::milliseconds(50));
  }
  unsigned still = 0;
  for (auto& ch : g_channels) still += static_cast<unsigned>(ch->r.conn->ws.is_open()) + static_cast<unsigned>(ch->s.conn->ws.is_open());
  if (still != open) g->error("idle_dropped");
  co_await close_channels(Clock::now() + std::chrono::seconds(30));
  char buf[200];
  std::snprintf(buf, sizeof buf, ",\"connections\":%u,\"ramp_s\":%.2f", open, ramp);
  g->extra += buf;
}

// The receiver never reads after `joined`; the sender floods until the relay
// closes it. Pass: the sender got `too_large` (4413) before flood_bytes.
net::awaitable<void> run_slow() {
  const auto& o = g->opt;
  co_await open_channels(1, 1);
  if (g->error_count) {
    cut_everything();
    co_return;
  }
  auto& ch = *g_channels[0];
  auto t0 = Clock::now();
  auto hard = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration + o.grace));
  std::string code;
  unsigned close_code = 0;
  bool reader_done = false;
  auto s = ch.s.conn;
  net::co_spawn(
      g->ioc,
      [&]() -> net::awaitable<void> {
        for (;;) {
          s->buf.clear();
          auto [ec, n] = co_await s->ws.async_read(s->buf, tuple_awaitable);
          if (ec) {
            if (ec == websocket::error::closed) close_code = s->ws.reason().code;
            break;
          }
          if (!s->ws.got_binary()) {
            auto text = beast::buffers_to_string(s->buf.data());
            if (field(text, "type") == "error") code = field(text, "code");
          }
        }
        reader_done = true;
      },
      net::detached);
  std::vector<std::uint8_t> frame(o.frame);
  std::uint64_t seq = 0;
  while (!reader_done && code.empty() && g->bytes_sent < o.flood_bytes && Clock::now() < hard) {
    fill_frame(frame.data(), frame.size(), 0x10, ch.s.out_stream, seq++, now_ns());
    auto [ec, n] = co_await s->ws.async_write(net::buffer(frame), tuple_awaitable);
    if (ec) break;
    g->bytes_sent += frame.size();
    ++g->frames_sent;
  }
  auto flood_s = std::chrono::duration<double>(Clock::now() - t0).count();
  // Give the relay time to finish its close; then cut both.
  auto until = std::min(hard, Clock::now() + std::chrono::seconds(8));
  while (!reader_done && Clock::now() < until) co_await sleep_for(std::chrono::milliseconds(5));
  cut_everything();
  while (!reader_done) co_await sleep_for(std::chrono::milliseconds(5));
  if (code != "too_large") g->error("flooder_not_refused" + (code.empty() ? std::string() : "_" + code));
  if (close_code != 4413 && close_code != 0) g->error("flooder_close_" + std::to_string(close_code));
  char buf[240];
  std::snprintf(buf, sizeof buf, ",\"flood_s\":%.3f,\"code\":\"%s\",\"close_code\":%u", flood_s, code.c_str(), close_code);
  g->extra += buf;
}

int usage(const char* what) {
  std::fprintf(stderr, "qrlogin-bench-loadgen: %s\n", what);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Global global;
  g = &global;
  auto& o = g->opt;
  for (int i = 1; i < argc; ++i) {
    std::string_view k = argv[i];
    if (i + 1 >= argc) return usage("every flag takes a value");
    std::string v = argv[++i];
    if (k == "--scenario") o.scenario = v;
    else if (k == "--host") o.host = v;
    else if (k == "--port") o.port = static_cast<unsigned>(std::stoul(v));
    else if (k == "--sender-port") o.sender_port = static_cast<unsigned>(std::stoul(v));
    else if (k == "--sources") o.sources = static_cast<unsigned>(std::stoul(v));
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--concurrency") o.concurrency = static_cast<unsigned>(std::stoul(v));
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--channels") o.channels = static_cast<unsigned>(std::stoul(v));
    else if (k == "--inflight") o.inflight = static_cast<unsigned>(std::stoul(v));
    else if (k == "--frame") o.frame = std::stoul(v);
    else if (k == "--connections") o.connections = static_cast<unsigned>(std::stoul(v));
    else if (k == "--hold") o.hold = std::stod(v);
    else if (k == "--flood-bytes") o.flood_bytes = std::stoull(v);
    else if (k == "--max-live") o.max_live = static_cast<unsigned>(std::stoul(v));
    else if (k == "--grace") o.grace = std::stod(v);
    else if (k == "--id") g->cid_seed = std::stoull(v);
    else return usage(("unknown flag " + std::string(k)).c_str());
  }
  if (o.port == 0) return usage("--port is required");
  if (o.frame < kMinFrame || o.frame > 65000) return usage("--frame must be 25..65000");
  if (o.sources < 1 || o.sources > 250) return usage("--sources must be 1..250");
  if (o.connections > 18500) return usage("--connections: at most 18500 per process (fd limit); run several");
  if (o.channels > 9000) return usage("--channels: at most 9000 per process");
  g->target = tcp::endpoint(net::ip::make_address(o.host), static_cast<unsigned short>(o.port));
  g->host = o.host + ":" + std::to_string(o.port);
  auto sender_port = o.sender_port ? o.sender_port : o.port;
  g->sender_target = tcp::endpoint(g->target.address(), static_cast<unsigned short>(sender_port));
  g->sender_host = o.host + ":" + std::to_string(sender_port);
  std::random_device rd;
  g->cid_seed ^= (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(::getpid());

  net::awaitable<void> (*body)() = nullptr;
  if (o.scenario == "pairing" || o.scenario == "churn") {
    if (o.rate <= 0 && o.concurrency == 0) o.concurrency = 32;
    body = run_pairing;
  } else if (o.scenario == "forward") {
    body = run_forward;
  } else if (o.scenario == "idle") {
    if (o.connections < 2) return usage("idle needs --connections");
    body = run_idle;
  } else if (o.scenario == "slow") {
    if (o.frame == 256) o.frame = 16384;
    body = run_slow;
  } else {
    return usage("--scenario must be pairing, churn, forward, idle or slow");
  }
  bool finished = false;
  net::co_spawn(g->ioc, body(), [&](std::exception_ptr e) {
    finished = true;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        g->error(std::string("internal_") + x.what());
      }
    }
    cut_everything();
  });
  g->ioc.run();
  if (!finished) g->error("internal_unfinished");

  std::string errors = "{";
  for (const auto& [k, v] : g->errors) {
    if (errors.size() > 1) errors += ",";
    errors += "\"" + k + "\":" + std::to_string(v);
  }
  errors += "}";
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  std::printf(
      "{\"event\":\"result\",\"scenario\":\"%s\",\"ok\":%s,\"errors\":%llu,\"error_kinds\":%s,\"completed\":%llu,"
      "\"started\":%llu,\"lagged\":%llu,\"frames_sent\":%llu,\"frames_recv\":%llu,\"bytes_sent\":%llu,"
      "\"lat_count\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f%s}\n",
      o.scenario.c_str(), g->error_count == 0 ? "true" : "false", static_cast<unsigned long long>(g->error_count),
      errors.c_str(), static_cast<unsigned long long>(g->completed), static_cast<unsigned long long>(g->started),
      static_cast<unsigned long long>(g->lagged), static_cast<unsigned long long>(g->frames_sent),
      static_cast<unsigned long long>(g->frames_recv), static_cast<unsigned long long>(g->bytes_sent),
      static_cast<unsigned long long>(g->lat.count()), us(g->lat.quantile(0.5)), us(g->lat.quantile(0.99)),
      us(g->lat.quantile(0.999)), us(g->lat.max()), g->extra.c_str());
  std::fflush(stdout);
  g_channels.clear();
  return g->error_count == 0 ? 0 : 1;
}
