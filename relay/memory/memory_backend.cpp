#include "relay/memory/memory_backend.hpp"

namespace qrlogin::relay {

MemoryBackend::MemoryBackend(const Limits& limits, Sink sink, bool single_thread)
    : limits_(limits),
      sink_(std::move(sink)),
      mutex_(single_thread),
      admission_(limits, Clock::now()),
      registry_(limits, admission_) {}

void MemoryBackend::join(JoinRequest request, JoinDone done) {
  Outcome out;
  JoinResult result;
  {
    std::lock_guard lock(mutex_);
    result = registry_.join(request.cid, request.role, request.conn, request.address, Clock::now(),
                            request.new_token, request.resume, request.kind);
  }
  out.error = result.error;
  if (request.resume) out.events.push_back(Event::of(result.error ? Event::Kind::resume_refused : Event::Kind::resumed));
  if (result.intrusion_attempt) out.events.push_back(Event::of(Event::Kind::intrusion_attempt));
  if (result.limit) out.events.push_back(Event::rejected_by(*result.limit));
  if (result.lookup) out.events.push_back(Event::looked_up_as(*result.lookup));
  if (!result.intrusion.empty()) {
    auto e = Event::about(Event::Kind::intrusion_noticed, request.conn);
    e.role = request.role;
    out.events.push_back(std::move(e));
  }
  for (auto conn : result.expired) out.notices.push_back(Notice::end(conn, Code::expired));
  for (auto conn : result.intrusion) out.notices.push_back(Notice::intrusion(conn));
  if (result.replaced) out.notices.push_back(Notice::end(*result.replaced, Code::replaced));
  if (result.notify_peer)
    out.notices.push_back(Notice::peer(*result.notify_peer, result.resumed ? PeerEvent::back : PeerEvent::joined));
  if (!result.error)
    out.joined = {result.expires_in, result.peer_present, result.resumed, result.received, std::move(result.backlog)};
  done(std::move(out));
}

bool MemoryBackend::forward(const Cid& cid, Role from, ConnId conn, Frame frame, std::uint64_t taken) {
  Outcome out;
  ForwardResult result;
  auto size = frame ? frame->size() : 0;
  {
    std::lock_guard lock(mutex_);
    result = registry_.forward(cid, from, conn, std::move(frame), Clock::now(), taken);
  }
  if (!result.error) out.events.push_back(Event::of(Event::Kind::forwarded, size));
  if (result.error == Code::too_large) out.events.push_back(Event::rejected_by(Limit::channel_budget));
  if (result.error) out.notices.push_back(Notice::end(conn, *result.error));
  for (auto c : result.expired) out.notices.push_back(Notice::end(c, Code::expired));
  if (result.delivery) out.notices.push_back(Notice::deliver(std::move(*result.delivery)));
  if (result.slow_peer) out.notices.push_back(Notice::end(*result.slow_peer, Code::slow_consumer));
  sink_(std::move(out));
  return true;  // stored (or refused) already
}

void MemoryBackend::leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind) {
  Outcome out;
  LeaveResult result;
  {
    std::lock_guard lock(mutex_);
    result = registry_.leave(cid, role, conn, kind, Clock::now());
  }
  if (result.completed) out.events.push_back(Event::of(Event::Kind::completed));
  if (result.peer_left) out.notices.push_back(Notice::peer(*result.peer_left, PeerEvent::left));
  if (result.peer_closed) out.notices.push_back(Notice::end_by_peer(*result.peer_closed));
  sink_(std::move(out));
}

void MemoryBackend::sweep(TimePoint now) {
  Outcome out;
  {
    std::lock_guard lock(mutex_);
    for (auto conn : registry_.expire(now)) out.notices.push_back(Notice::end(conn, Code::expired));
    admission_.prune(now);
  }
  if (!out.notices.empty()) sink_(std::move(out));
}

void MemoryBackend::shut_down(TimePoint now) {
  std::lock_guard lock(mutex_);
  registry_.end_all(now);  // the hub tells every client going_away
}

bool MemoryBackend::reserve_incoming(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  return registry_.reserve_incoming(bytes);
}

void MemoryBackend::release_incoming(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  registry_.release_incoming(bytes);
}

BackendStats MemoryBackend::stats() {
  std::lock_guard lock(mutex_);
  return {registry_.channels(), registry_.buffered_bytes(), std::nullopt, std::nullopt};
}

std::optional<std::string> MemoryBackend::unavailable_reason() {
  std::lock_guard lock(mutex_);
  if (registry_.channels() >= limits_.max_channels) return "at the channel cap (--max-channels)";
  if (registry_.buffered_bytes() >= limits_.max_buffered_bytes) return "at the memory cap (--max-buffered-bytes)";
  return std::nullopt;
}

}  // namespace qrlogin::relay
