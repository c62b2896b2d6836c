// Random event sequences against the channel registry (joins, resumes with
// right and wrong tokens, frames, deliveries, leaves, time passing): it
// never crashes, its byte accounting never goes negative or past its bounds,
// deliveries only go to a connection holding the other slot, and ending
// everything leaves nothing behind.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "relay/core/admission.hpp"
#include "relay/core/address.hpp"
#include "relay/core/registry.hpp"
#include "tests/fuzz/event_input.hpp"

using namespace qrlogin;
using namespace qrlogin::relay;
using qrlogin::testing::EventInput;

namespace {

TokenHash token_of(std::uint8_t n) {
  TokenHash t{};
  t.fill(n);
  return t;
}

Cid cid_of(std::uint8_t n) {
  Cid c{};
  c.fill(n);
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Limits limits;
  limits.max_frames_per_channel = 12;
  limits.max_channel_bytes = 600;
  limits.max_frame_bytes = 300;
  limits.max_channels = 4;
  limits.channel_lifetime = Millis{1000};
  limits.grace = Millis{300};
  limits.max_remembered_cids = 64;
  auto now = TimePoint{} + std::chrono::hours{1};
  Admission admission(limits, now);
  Registry registry(limits, admission);
  auto address = limit_key(parse_ip("192.0.2.1").value());

  struct Conn {
    Cid cid;
    Role role;
  };
  std::map<ConnId, Conn> attached;  // connections the registry accepted
  ConnId next_conn = 1;
  std::uint8_t next_token = 1;
  const std::size_t bound = limits.max_channels * limits.max_channel_bytes;

  auto check_delivery = [&](const Delivery& d) {
    auto it = attached.find(d.to);
    if (it == attached.end() || it->second.role == d.from) std::abort();
  };

  EventInput in{data, size};
  while (!in.done()) {
    auto op = in.byte() % 8;
    auto cid = cid_of(static_cast<std::uint8_t>(in.byte() % 4));
    auto role = (in.byte() & 1) ? Role::sender : Role::receiver;
    switch (op) {
      case 0:
      case 1: {  // join, or resume with a token from a small set (right or wrong)
        auto conn = next_conn++;
        std::optional<ResumeRequest> resume;
        if (op == 1) resume = ResumeRequest{token_of(static_cast<std::uint8_t>(in.byte() % 16)), in.byte() % 8u};
        auto fresh = token_of(static_cast<std::uint8_t>(next_token++ % 16));
        auto r = registry.join(cid, role, conn, address, now, fresh, resume);
        for (auto ended : r.expired) attached.erase(ended);
        if (!r.error) {
          if (r.replaced) attached.erase(*r.replaced);
          attached[conn] = {cid, role};
          for (const auto& d : r.backlog) {
            if (d.to != conn) std::abort();
            check_delivery(d);
          }
        } else if (r.resumed || !r.backlog.empty()) {
          std::abort();
        }
        break;
      }
      case 2:
      case 3: {  // a frame from an attached connection (or a stale one)
        if (attached.empty()) break;
        auto it = attached.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(in.byte() % attached.size()));
        auto n = static_cast<std::size_t>(in.byte()) * 2;
        auto frame = std::make_shared<const std::vector<std::uint8_t>>(n, std::uint8_t{1});
        // Any count of the peer's frames taken, true or not: the relay must
        // stay within its bounds whatever a session reports.
        auto r = registry.forward(it->second.cid, it->second.role, it->first, frame, now, in.byte());
        for (auto ended : r.expired) attached.erase(ended);
        if (r.delivery) check_delivery(*r.delivery);
        break;
      }
      case 4: {  // a connection goes away
        if (attached.empty()) break;
        auto it = attached.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(in.byte() % attached.size()));
        auto kind = (in.byte() & 1) ? LeaveKind::normal : LeaveKind::abnormal;
        (void)registry.leave(it->second.cid, it->second.role, it->first, kind, now);
        attached.erase(it);
        break;
      }
      case 5: {  // time passes
        now += Millis{in.byte() * 8};
        for (auto conn : registry.expire(now)) attached.erase(conn);
        break;
      }
      case 6: {  // a confirmation from a connection that holds no slot changes nothing
        auto frame = std::make_shared<const std::vector<std::uint8_t>>(1, std::uint8_t{3});
        if (registry.forward(cid, role, static_cast<ConnId>(in.byte()) + 5000, frame, now, in.byte()).delivery)
          std::abort();
        break;
      }
      default: {  // a frame from a connection that holds no slot
        auto frame = std::make_shared<const std::vector<std::uint8_t>>(in.byte(), std::uint8_t{2});
        if (registry.forward(cid, role, next_conn + 1000, frame, now).delivery) std::abort();
        break;
      }
    }
    if (registry.buffered_bytes() > bound || registry.channels() > limits.max_channels) std::abort();
  }
  (void)registry.end_all(now);
  if (registry.channels() != 0 || registry.buffered_bytes() != 0) std::abort();
  return 0;
}
