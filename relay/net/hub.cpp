#include "relay/net/hub.hpp"

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "relay/core/control.hpp"
#include "relay/net/cluster.hpp"

namespace qrlogin::relay {

Hub::Hub(const Config& config, Logger& logger)
    : config_(config),
      logger_(logger),
      single_thread_(config.threads == 1),
      admission_(config.limits, Clock::now()),
      registry_(config.limits, admission_),
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

std::optional<Refusal> Hub::acquire_address(const AddressKey& key) {
  Lock lock(*this);
  return admission_.acquire_address(key);
}

void Hub::release_address(const AddressKey& key) {
  Lock lock(*this);
  admission_.release_address(key, Clock::now());
}

bool Hub::reserve_incoming(std::size_t bytes) {
  Lock lock(*this);
  return registry_.reserve_incoming(bytes);
}

void Hub::release_incoming(std::size_t bytes) {
  Lock lock(*this);
  registry_.release_incoming(bytes);
}

void Hub::attach(ConnId id, std::weak_ptr<Endpoint> endpoint) {
  Lock lock(*this);
  endpoints_[id] = std::move(endpoint);
}

void Hub::detach(ConnId id) {
  Lock lock(*this);
  endpoints_.erase(id);
}

std::shared_ptr<Endpoint> Hub::find(ConnId id) {
  Lock lock(*this);
  return find_locked(id);
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

std::optional<Hub::Joined> Hub::join(const Cid& cid, Role role, ConnId id, const AddressKey& address,
                                     std::string_view tag, const std::optional<std::string>& presented_token,
                                     std::uint64_t received, JoinHandler later) {
  Joined joined;
  auto& result = joined.result;
  Bytes raw(kResumeTokenBytes);
  system_rng().fill(raw);
  joined.resume_token = base64url_encode(raw);
  secure_wipe(raw);
  auto new_hash = hash_token(joined.resume_token);
  std::optional<ResumeRequest> resume;
  if (presented_token) resume = ResumeRequest{hash_token(*presented_token), received};

  if (cluster_) return join_cluster(cid, role, id, address, tag, new_hash, resume, std::move(joined), std::move(later));

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
    result = registry_.join(cid, role, id, address, Clock::now(), new_hash, resume);
    for (auto conn : result.intrusion)
      if (auto e = find_locked(conn)) intruded.push_back(std::move(e));
    if (result.notify_peer) peer = find_locked(*result.notify_peer);
    if (result.replaced) replaced = find_locked(*result.replaced);
  }
  if (result.error) joined.resume_token.clear();
  if (resume) metrics_.resume(!result.error);
  if (result.intrusion_attempt) metrics_.intrusion();
  if (result.limit) metrics_.rejected(*result.limit);
  if (!result.intrusion.empty())
    logger_.write(LogLevel::warn, "intrusion", {{"channel", tag}, {"conn", id}, {"role", role_name(role)}});
  for (auto& e : intruded) e->notify(make_intrusion_message());
  if (replaced) replaced->end(Code::replaced);
  if (peer) peer->notify(make_peer_message(result.resumed ? PeerEvent::back : PeerEvent::joined));
  return joined;
}

std::optional<Hub::Joined> Hub::join_cluster(const Cid& cid, Role role, ConnId id, const AddressKey& address,
                                             std::string_view tag, const TokenHash& new_hash,
                                             const std::optional<ResumeRequest>& resume, Joined joined,
                                             JoinHandler later) {
  std::optional<Code> refused;
  bool opens = !resume && role == Role::receiver;
  {
    Lock lock(*this);
    if (shutting_down_) refused = Code::going_away;
    if (!refused && !cluster_->is_up()) refused = Code::unavailable;
    // The per-scope rates and open-channel caps, on this node: a channel
    // counts under its receiver's address while that receiver is connected
    // here. The cluster-wide caps and the per-address rate are Redis's.
    if (!refused && opens) {
      if (auto limited = admission_.open_channel(address, Clock::now())) {
        refused = limited->code;
        metrics_.rejected(limited->limit);
      } else {
        cluster_openers_.emplace(id, address);
      }
    }
  }
  if (refused) {
    secure_wipe({reinterpret_cast<std::uint8_t*>(joined.resume_token.data()), joined.resume_token.size()});
    joined.resume_token.clear();
    joined.result.error = refused;
    return joined;
  }
  // The token waits for Redis's answer in one wiped place, however often
  // the handler is copied.
  auto token = std::shared_ptr<std::string>(new std::string(std::move(joined.resume_token)), [](std::string* t) {
    secure_wipe({reinterpret_cast<std::uint8_t*>(t->data()), t->size()});
    delete t;
  });
  Cluster::JoinArgs args{cid, role, id, address, std::string(tag), new_hash, resume};
  cluster_->join(std::move(args), [this, id, opens, token, later = std::move(later)](JoinResult result) {
    Joined out{std::move(result), {}};
    if (!out.result.error) out.resume_token = *token;
    else if (opens) release_cluster_opener(id);
    later(std::move(out));
  });
  return std::nullopt;
}

std::optional<Code> Hub::forward(const Cid& cid, Role from, ConnId id, Frame frame) {
  if (cluster_) {
    cluster_->forward(cid, from, id, std::move(frame));
    return std::nullopt;
  }
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
  if (cluster_) {
    cluster_->delivered(from, index, to);
    return;
  }
  Lock lock(*this);
  registry_.delivered(cid, from, index, to);
}

void Hub::leave(const Cid& cid, Role role, ConnId id, LeaveKind kind) {
  if (cluster_) {
    release_cluster_opener(id);
    cluster_->leave(role, id, kind);
    return;
  }
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

void Hub::release_cluster_opener(ConnId id) {
  Lock lock(*this);
  auto it = cluster_openers_.find(id);
  if (it == cluster_openers_.end()) return;
  admission_.release_channel(it->second, Clock::now());
  cluster_openers_.erase(it);
}

std::string Hub::channel_tag(const Cid& cid) {
  Lock lock(*this);
  return tagger_.tag(cid, Clock::now());
}

void Hub::sweep() {
  if (cluster_) cluster_->sweep(Clock::now());
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
  MetricsGauges gauges{s.connections, s.channels, s.buffered_bytes, std::nullopt, logger_.lines_dropped(),
                       logger_.lines_suppressed()};
  if (cluster_) gauges.redis_up = cluster_->is_up();
  return metrics_.render(gauges);
}

HubStats Hub::stats() {
  // Cluster mode: the channels this node's clients hold; frames wait in Redis.
  auto attached = cluster_ ? std::optional<std::size_t>(cluster_->attachments()) : std::nullopt;
  Lock lock(*this);
  if (attached) return {admission_.connections(), *attached, 0};
  return {admission_.connections(), registry_.channels(), registry_.buffered_bytes()};
}

std::optional<std::string> Hub::unavailable_reason() {
  if (cluster_ && !cluster_->is_up()) return cluster_->down_reason();
  const auto& limits = config_.limits;
  Lock lock(*this);
  if (admission_.connections() >= limits.max_connections) return "at the connection cap (--max-connections)";
  if (cluster_) return std::nullopt;
  if (registry_.channels() >= limits.max_channels) return "at the channel cap (--max-channels)";
  if (registry_.buffered_bytes() >= limits.max_buffered_bytes) return "at the memory cap (--max-buffered-bytes)";
  return std::nullopt;
}

}  // namespace qrlogin::relay
