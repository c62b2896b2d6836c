#include "tests/cluster/chaos.hpp"

#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "cli/resumable_channel.hpp"
#include "crypto/bytes.hpp"
#include "crypto/random.hpp"

namespace qrlogin::testing {

namespace {

using Clock = std::chrono::steady_clock;
using cli::ResumableChannel;
using relay_client::Event;

constexpr std::uint8_t kFromReceiver = 0x52;  // 'R'
constexpr std::uint8_t kFromSender = 0x53;    // 'S'
constexpr std::uint32_t kFin = 0xffffffff;

// direction byte, pairing number (4 bytes), frame number (4 bytes), padding.
Bytes frame(std::uint8_t direction, std::uint32_t pairing, std::uint32_t number) {
  Bytes out(48, 0x2e);
  out[0] = direction;
  for (std::size_t i = 0; i < 4; ++i) {
    auto shift = 24 - 8 * i;
    out[1 + i] = static_cast<std::uint8_t>(pairing >> shift);
    out[5 + i] = static_cast<std::uint8_t>(number >> shift);
  }
  return out;
}

std::uint32_t field(const Bytes& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | b[at + i];
  return v;
}

struct Side {
  std::unique_ptr<ResumableChannel> channel;
  std::uint8_t sends = 0;  // its direction byte
  std::uint32_t sent = 0;
  std::uint32_t expected = 0;  // the next frame number it needs
  bool fin_sent = false;
  bool fin_seen = false;
  bool closing = false;
  bool over = false;
  std::string failure;  // why it ended, when not as planned
  Clock::time_point next_send{};
};

struct Pairing {
  std::uint32_t number = 0;
  Side receiver;
  Side sender;
  bool completed = false;
  bool failed = false;
};

std::string base64url_cid() {
  Bytes raw(16);
  system_rng().fill(raw);
  return base64url_encode(raw);
}

cli::RelayEndpoint endpoint(std::uint16_t port) { return {"127.0.0.1", port, "", false, "", ""}; }

// One event for `me` in pairing `p`; the report counts what it shows.
void take(Pairing& p, Side& me, bool is_receiver, Event e, const ChaosPlan& plan, ChaosReport& report) {
  switch (e.kind) {
    case Event::Kind::binary: {
      const auto& b = e.bytes;
      std::uint8_t want = is_receiver ? kFromSender : kFromReceiver;
      if (b.size() != 48 || b[0] != want || field(b, 1) != p.number) {
        ++report.foreign;
        return;
      }
      auto n = field(b, 5);
      if (n == kFin) {
        me.fin_seen = true;
        return;
      }
      if (n < me.expected) {
        ++report.duplicates;
      } else {
        report.frames_lost += n - me.expected;
        me.expected = n + 1;
        ++report.frames_delivered;
      }
      return;
    }
    case Event::Kind::control:
      if (e.control.type == "intrusion") ++report.intrusions;
      if (e.control.type == "error") {
        if (e.control.code == "replaced" || e.control.code == "channel_full") ++report.intrusions;
        me.failure = e.control.code;
      }
      return;
    case Event::Kind::closed: {
      me.over = true;
      if (me.closing || !me.failure.empty()) return;
      // The sender's planned end: the receiver closed once it had everything.
      bool planned = !is_receiver && e.close_code == 1000 && me.expected == static_cast<std::uint32_t>(plan.frames);
      if (planned) return;
      auto failure = me.channel->failure();
      me.failure = failure ? failure->code : "closed " + std::to_string(e.close_code);
      return;
    }
  }
}

void step(Pairing& p, const ChaosPlan& plan, ChaosReport& report, Clock::time_point now) {
  for (int i = 0; i < 2; ++i) {
    bool is_receiver = i == 0;
    auto& me = is_receiver ? p.receiver : p.sender;
    if (me.over) continue;
    while (auto e = me.channel->try_next()) take(p, me, is_receiver, std::move(*e), plan, report);
    if (me.over) continue;
    (void)me.channel->reconnect_if_due();
    auto frames = static_cast<std::uint32_t>(plan.frames);
    if (me.sent < frames && now >= me.next_send) {
      if (me.channel->send(frame(me.sends, p.number, me.sent))) ++me.sent;
      me.next_send = now + plan.interval;
    }
    if (!is_receiver && !me.fin_sent && me.expected == frames) {
      me.fin_sent = me.channel->send(frame(me.sends, p.number, kFin));
    }
    if (is_receiver && !me.closing && me.expected == frames && me.fin_seen && me.sent == frames) {
      me.closing = true;
      me.channel->close();
      me.over = true;
    }
  }
  if (p.completed || p.failed) return;
  auto frames = static_cast<std::uint32_t>(plan.frames);
  bool receiver_done = p.receiver.closing && p.receiver.failure.empty();
  bool sender_done = p.sender.over && p.sender.failure.empty() && p.sender.expected == frames;
  if (receiver_done && sender_done) {
    p.completed = true;
    ++report.completed;
    return;
  }
  for (auto* side : {&p.receiver, &p.sender}) {
    if (side->over && !side->failure.empty()) {
      p.failed = true;
      ++report.failed;
      ++report.failures[side->failure];
      return;
    }
  }
}

}  // namespace

ChaosReport run_chaos(const ChaosPlan& plan) {
  ChaosReport report;
  const cli::Reporter quiet(false);
  std::vector<std::unique_ptr<Pairing>> pairings;
  auto start = Clock::now();
  for (int i = 0; i < plan.pairings; ++i) {
    auto p = std::make_unique<Pairing>();
    p->number = static_cast<std::uint32_t>(i + 1);
    auto cid = base64url_cid();
    p->receiver.channel = std::make_unique<ResumableChannel>(endpoint(plan.receiver_port), cid, "receiver", quiet);
    p->receiver.sends = kFromReceiver;
    cli::ConnectError error{};
    if (!p->receiver.channel->open(error)) {
      ++report.started;
      ++report.failed;
      ++report.failures["receiver: " + error.code];
      continue;
    }
    // The receiver holds its channel before the sender joins it.
    bool joined = false;
    auto until = Clock::now() + std::chrono::seconds{5};
    while (!joined && Clock::now() < until) {
      if (auto e = p->receiver.channel->try_next()) joined = e->kind == Event::Kind::control && e->control.type == "joined";
      else std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    p->sender.channel = std::make_unique<ResumableChannel>(endpoint(plan.sender_port), cid, "sender", quiet);
    p->sender.sends = kFromSender;
    ++report.started;
    if (!joined || !p->sender.channel->open(error)) {
      ++report.failed;
      ++report.failures[joined ? "sender: " + error.code : "receiver: no joined"];
      p->failed = true;
      p->receiver.over = p->sender.over = true;
    }
    pairings.push_back(std::move(p));
  }
  auto exchange = Clock::now();
  bool faulted = !plan.fault;
  auto deadline = start + plan.timeout;
  for (;;) {
    auto now = Clock::now();
    if (!faulted && now >= exchange + plan.fault_after) {
      faulted = true;
      plan.fault();
      now = Clock::now();
    }
    bool busy = false;
    for (auto& p : pairings) {
      step(*p, plan, report, now);
      busy = busy || !(p->completed || p->failed);
    }
    if ((!busy && faulted) || now >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  for (auto& p : pairings) {
    if (p->completed || p->failed) continue;
    ++report.failed;
    ++report.failures["unfinished at the timeout"];
  }
  report.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return report;
}

std::string ChaosReport::table_row(const std::string& scenario) const {
  std::ostringstream out;
  out << "| " << scenario << " | " << started << " | " << completed << " | " << failed;
  if (!failures.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [why, n] : failures) {
      out << (first ? "" : ", ") << n << " " << why;
      first = false;
    }
    out << ")";
  }
  out << " | " << frames_delivered << " | " << frames_lost << " | " << duplicates << " | " << intrusions << " | "
      << took.count() << " ms |";
  return out.str();
}

}  // namespace qrlogin::testing
