#include "relay/net/hub.hpp"

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "relay/core/control.hpp"

namespace qrlogin::relay {

Hub::Hub(const Config& config, Logger& logger)
    : config_(config),
      logger_(logger),
      single_thread_(config.threads == 1),
      registry_(config.limits),
      admission_(config.limits, Clock::now()),
      tagger_(system_rng(), Clock::now()) {}

ConnId Hub::next_connection_id() noexcept {
  Lock lock(*this);
  return next_id_++;
}

std::optional<Code> Hub::acquire_connection() {
  Lock lock(*this);
  return admission_.acquire_connection();
}

void Hub::release_connection() {
  Lock lock(*this);
  admission_.release_connection();
}

std::optional<Code> Hub::acquire_address(const AddressKey& key) {
  Lock lock(*this);
  return admission_.acquire_address(key, Clock::now());
}

void Hub::release_address(const AddressKey& key) {
  Lock lock(*this);
  admission_.release_address(key, Clock::now());
}

void Hub::attach(ConnId id, std::weak_ptr<Endpoint> endpoint) {
  Lock lock(*this);
  endpoints_[id] = std::move(endpoint);
}

void Hub::detach(ConnId id) {
  Lock lock(*this);
  endpoints_.erase(id);
}

std::shared_ptr<Endpoint> Hub::find_locked(ConnId id) const {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second.lock();
}

namespace {
// A resume token is hashed before it is stored or compared: the relay's
// memory never holds a token that would resume a slot.
TokenHash hash_token(std::string_view token) {
  auto digest = sha256({ByteView(reinterpret_cast<const std::uint8_t*>(token.data()), token.size())});
  TokenHash out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}
constexpr std::size_t kResumeTokenBytes = 32;  // 256 bits, 43 base64url characters
}  // namespace

Hub::Joined Hub::join(const Cid& cid, Role role, ConnId id, const AddressKey& address, std::string_view tag,
                      const std::optional<std::string>& presented_token, std::uint64_t received) {
  Joined joined;
  auto& result = joined.result;
  Bytes raw(kResumeTokenBytes);
  system_rng().fill(raw);
  joined.resume_token = base64url_encode(raw);
  secure_wipe(raw);
  auto new_hash = hash_token(joined.resume_token);
  std::optional<ResumeRequest> resume;
  if (presented_token) resume = ResumeRequest{hash_token(*presented_token), received};

  std::vector<std::shared_ptr<Endpoint>> intruded;
  std::shared_ptr<Endpoint> peer;
  std::shared_ptr<Endpoint> replaced;
  {
    Lock lock(*this);
    if (shutting_down_) {
      result.error = Code::going_away;
      joined.resume_token.clear();
      return joined;
    }
    result = registry_.join(cid, role, id, address, admission_, Clock::now(), new_hash, resume);
    for (auto conn : result.intrusion)
      if (auto e = find_locked(conn)) intruded.push_back(std::move(e));
    if (result.notify_peer) peer = find_locked(*result.notify_peer);
    if (result.replaced) replaced = find_locked(*result.replaced);
  }
  if (result.error) joined.resume_token.clear();
  if (resume) metrics_.resume(!result.error);
  if (result.intrusion_attempt) metrics_.intrusion();
  if (result.error == Code::rate_limited) metrics_.rejected(Limit::channel_rate);
  if (result.error == Code::unavailable) metrics_.rejected(Limit::capacity);
  if (!result.intrusion.empty())
    logger_.write(LogLevel::warn, "intrusion", {{"channel", tag}, {"conn", id}, {"role", role_name(role)}});
  for (auto& e : intruded) e->notify(make_intrusion_message());
  if (replaced) replaced->end(Code::replaced);
  if (peer) peer->notify(make_peer_message(result.resumed ? PeerEvent::back : PeerEvent::joined));
  return joined;
}

std::optional<Code> Hub::forward(const Cid& cid, Role from, ConnId id, Frame frame) {
  ForwardResult result;
  std::shared_ptr<Endpoint> to;
  std::shared_ptr<Endpoint> slow;
  {
    Lock lock(*this);
    auto size = frame ? frame->size() : 0;
    result = registry_.forward(cid, from, id, std::move(frame));
    if (!result.error) metrics_.forwarded(size);
    else if (result.error == Code::too_large) metrics_.rejected(Limit::channel_budget);
    if (result.delivery) to = find_locked(result.delivery->to);
    if (result.slow_peer) slow = find_locked(*result.slow_peer);
  }
  if (to) to->deliver(std::move(*result.delivery));
  if (slow) slow->end(Code::slow_consumer);
  return result.error;
}

void Hub::delivered(const Cid& cid, Role from, std::uint64_t index, ConnId to) {
  Lock lock(*this);
  registry_.delivered(cid, from, index, to);
}

void Hub::leave(const Cid& cid, Role role, ConnId id, LeaveKind kind) {
  LeaveResult result;
  std::shared_ptr<Endpoint> left_to;
  std::shared_ptr<Endpoint> closed_to;
  {
    Lock lock(*this);
    result = registry_.leave(cid, role, id, kind, Clock::now());
    if (result.peer_left) left_to = find_locked(*result.peer_left);
    if (result.peer_closed) closed_to = find_locked(*result.peer_closed);
  }
  if (result.completed) metrics_.pairing_completed();
  if (left_to) left_to->notify(make_peer_message(PeerEvent::left));
  if (closed_to) closed_to->end_by_peer();
}

std::string Hub::channel_tag(const Cid& cid) {
  Lock lock(*this);
  return tagger_.tag(cid, Clock::now());
}

void Hub::sweep() {
  std::vector<std::shared_ptr<Endpoint>> expired;
  {
    Lock lock(*this);
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
    Lock lock(*this);
    shutting_down_ = true;
    registry_.end_all(Clock::now());
    for (auto& [id, weak] : endpoints_)
      if (auto e = weak.lock()) all.push_back(std::move(e));
  }
  for (auto& e : all) e->end(Code::going_away);
}

std::string Hub::render_metrics() {
  auto s = stats();
  return metrics_.render({s.connections, s.channels, s.buffered_bytes});
}

HubStats Hub::stats() {
  Lock lock(*this);
  return {admission_.connections(), registry_.channels(), registry_.buffered_bytes()};
}

}  // namespace qrlogin::relay
