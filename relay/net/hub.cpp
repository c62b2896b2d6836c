#include "relay/net/hub.hpp"

#include "crypto/random.hpp"
#include "relay/core/control.hpp"

namespace qrlogin::relay {

Hub::Hub(const Config& config, Logger& logger)
    : config_(config),
      logger_(logger),
      registry_(config.limits),
      admission_(config.limits, Clock::now()),
      tagger_(system_rng(), Clock::now()) {}

ConnId Hub::next_connection_id() noexcept {
  std::lock_guard lock(mutex_);
  return next_id_++;
}

std::optional<Code> Hub::acquire_connection() {
  std::lock_guard lock(mutex_);
  return admission_.acquire_connection();
}

void Hub::release_connection() {
  std::lock_guard lock(mutex_);
  admission_.release_connection();
}

std::optional<Code> Hub::acquire_address(const AddressKey& key) {
  std::lock_guard lock(mutex_);
  return admission_.acquire_address(key, Clock::now());
}

void Hub::release_address(const AddressKey& key) {
  std::lock_guard lock(mutex_);
  admission_.release_address(key, Clock::now());
}

void Hub::attach(ConnId id, std::weak_ptr<Endpoint> endpoint) {
  std::lock_guard lock(mutex_);
  endpoints_[id] = std::move(endpoint);
}

void Hub::detach(ConnId id) {
  std::lock_guard lock(mutex_);
  endpoints_.erase(id);
}

std::shared_ptr<Endpoint> Hub::find_locked(ConnId id) const {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second.lock();
}

JoinResult Hub::join(const Cid& cid, Role role, ConnId id, const AddressKey& address, std::string_view tag) {
  JoinResult result;
  std::vector<std::shared_ptr<Endpoint>> intruded;
  std::shared_ptr<Endpoint> peer;
  {
    std::lock_guard lock(mutex_);
    result = registry_.join(cid, role, id, address, admission_, Clock::now());
    for (auto conn : result.intrusion)
      if (auto e = find_locked(conn)) intruded.push_back(std::move(e));
    if (result.notify_peer) peer = find_locked(*result.notify_peer);
  }
  if (!result.intrusion.empty())
    logger_.write(LogLevel::warn, "intrusion", {{"channel", tag}, {"conn", id}, {"role", role_name(role)}});
  for (auto& e : intruded) e->notify(make_intrusion_message());
  if (peer) peer->notify(make_peer_message(PeerEvent::joined));
  return result;
}

std::optional<Code> Hub::forward(const Cid& cid, Role from, ConnId id, Frame frame) {
  ForwardResult result;
  std::shared_ptr<Endpoint> to;
  std::shared_ptr<Endpoint> slow;
  {
    std::lock_guard lock(mutex_);
    result = registry_.forward(cid, from, id, std::move(frame));
    if (result.delivery) to = find_locked(result.delivery->to);
    if (result.slow_peer) slow = find_locked(*result.slow_peer);
  }
  if (to) to->deliver(std::move(*result.delivery));
  if (slow) slow->end(Code::slow_consumer);
  return result.error;
}

void Hub::delivered(const Cid& cid, Role from, std::uint64_t index) {
  std::lock_guard lock(mutex_);
  registry_.delivered(cid, from, index);
}

void Hub::leave(const Cid& cid, Role role, ConnId id, LeaveKind kind) {
  LeaveResult result;
  std::shared_ptr<Endpoint> left_to;
  std::shared_ptr<Endpoint> closed_to;
  {
    std::lock_guard lock(mutex_);
    result = registry_.leave(cid, role, id, kind, Clock::now());
    if (result.peer_left) left_to = find_locked(*result.peer_left);
    if (result.peer_closed) closed_to = find_locked(*result.peer_closed);
  }
  if (left_to) left_to->notify(make_peer_message(PeerEvent::left));
  if (closed_to) closed_to->end_by_peer();
}

std::string Hub::channel_tag(const Cid& cid) {
  std::lock_guard lock(mutex_);
  return tagger_.tag(cid, Clock::now());
}

void Hub::sweep() {
  std::vector<std::shared_ptr<Endpoint>> expired;
  {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    for (auto conn : registry_.expire(now))
      if (auto e = find_locked(conn)) expired.push_back(std::move(e));
    admission_.prune(now);
  }
  for (auto& e : expired) e->end(Code::expired);
}

void Hub::end_all() {
  std::vector<std::shared_ptr<Endpoint>> all;
  {
    std::lock_guard lock(mutex_);
    registry_.end_all(Clock::now());
    for (auto& [id, weak] : endpoints_)
      if (auto e = weak.lock()) all.push_back(std::move(e));
  }
  for (auto& e : all) e->end(Code::going_away);
}

HubStats Hub::stats() {
  std::lock_guard lock(mutex_);
  return {admission_.connections(), registry_.channels(), registry_.buffered_bytes()};
}

}  // namespace qrlogin::relay
