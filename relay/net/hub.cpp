#include "relay/net/hub.hpp"

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "relay/core/control.hpp"

namespace qrlogin::relay {

Hub::Hub(const Config& config, Logger& logger, const BackendFactory& make_backend)
    : config_(config),
      logger_(logger),
      mutex_(config.threads == 1),
      admission_(config.limits, Clock::now()),
      tagger_(system_rng(), Clock::now()),
      backend_(make_backend([this](Outcome outcome) { apply(std::move(outcome)); })) {}

Hub::~Hub() = default;

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

std::optional<Refusal> Hub::acquire_address(const AddressKey& key) {
  std::lock_guard lock(mutex_);
  return admission_.acquire_address(key);
}

void Hub::release_address(const AddressKey& key) {
  std::lock_guard lock(mutex_);
  admission_.release_address(key, Clock::now());
}

bool Hub::reserve_incoming(std::size_t bytes) { return backend_->reserve_incoming(bytes); }

void Hub::release_incoming(std::size_t bytes) { backend_->release_incoming(bytes); }

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

namespace {
// A resume token is hashed before it is stored or compared: the relay's
// memory never holds a token that would resume a slot.
TokenHash hash_token(std::string_view token) {
  auto digest = sha256({as_bytes(token)});
  TokenHash out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}
constexpr std::size_t kResumeTokenBytes = 32;  // 256 bits, 43 base64url characters

// The fresh token waits for the backend's answer in one wiped place,
// however often the handler is copied. Resume tokens live on the heap
// (wiped), not in guarded pages: two or three per join, each bearing only
// the right to resume one slot of an end-to-end encrypted channel for its
// few minutes, where guarded regions would add about ten system calls and
// four mappings each to every join (crypto/secure_memory.hpp).
std::shared_ptr<const SecretString> fresh_token() {
  Bytes raw(kResumeTokenBytes);
  system_rng().fill(raw);
  auto token = std::make_shared<const SecretString>(base64url_encode(raw), SecretMemory::heap);
  secure_wipe(raw);
  return token;
}
}  // namespace

void Hub::join(const Cid& cid, Role role, ChannelKind kind, ConnId id, const AddressKey& address, std::string_view tag,
               const std::optional<SecretString>& presented_token, std::uint64_t received, JoinHandler done) {
  bool shutting_down = false;
  {
    std::lock_guard lock(mutex_);
    shutting_down = shutting_down_;
  }
  if (shutting_down) {
    done(Joined{Code::going_away, {}, {}});
    return;
  }
  auto token = fresh_token();
  JoinRequest request{cid, role, kind, id, address, hash_token(token->view()), std::nullopt};
  if (presented_token) request.resume = ResumeRequest{hash_token(presented_token->view()), received};
  backend_->join(std::move(request), [this, tag = std::string(tag), token, done = std::move(done)](Outcome out) {
    Joined joined{out.error, std::move(out.joined), {}};
    if (!joined.error) joined.resume_token = SecretString::copy_of(token->view(), SecretMemory::heap);
    record(out.events, tag);
    out.events.clear();
    // The joiner's `joined` is queued before the peer can answer it.
    done(std::move(joined));
    apply(std::move(out));
  });
}

bool Hub::forward(const Cid& cid, Role from, ConnId id, Frame frame, std::uint64_t taken) {
  return backend_->forward(cid, from, id, std::move(frame), taken);
}

void Hub::leave(const Cid& cid, Role role, ConnId id, LeaveKind kind) { backend_->leave(cid, role, id, kind); }

void Hub::apply(Outcome outcome, std::string_view tag) {
  record(outcome.events, tag);
  if (outcome.notices.empty()) return;
  std::vector<std::shared_ptr<Endpoint>> to(outcome.notices.size());
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < to.size(); ++i) to[i] = find_locked(outcome.notices[i].to);
  }
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (!to[i]) continue;
    auto& n = outcome.notices[i];
    switch (n.kind) {
      case Notice::Kind::deliver: to[i]->deliver(std::move(n.delivery)); break;
      case Notice::Kind::peer: to[i]->notify(make_peer_message(n.event)); break;
      case Notice::Kind::intrusion: to[i]->notify(make_intrusion_message()); break;
      case Notice::Kind::end: to[i]->end(n.code); break;
      case Notice::Kind::end_by_peer: to[i]->end_by_peer(); break;
      case Notice::Kind::read_on: to[i]->read_on(); break;
    }
  }
}

void Hub::record(const std::vector<Event>& events, std::string_view tag) {
  using Kind = Event::Kind;
  for (const auto& e : events) {
    switch (e.kind) {
      case Kind::forwarded: metrics_.forwarded(e.count); break;
      case Kind::rejected: metrics_.rejected(e.limit); break;
      case Kind::resumed: metrics_.resume(true); break;
      case Kind::resume_refused: metrics_.resume(false); break;
      case Kind::intrusion_attempt: metrics_.intrusion(); break;
      case Kind::intrusion_noticed:
        logger_.write(LogLevel::warn, "intrusion", {{"channel", tag}, {"conn", e.conn}, {"role", role_name(e.role)}});
        break;
      case Kind::completed: metrics_.pairing_completed(); break;
      case Kind::looked_up: metrics_.lookup(e.lookup); break;
      case Kind::fenced:
        metrics_.fenced();
        logger_.write(LogLevel::warn, "fenced", {{"conn", e.conn}});
        break;
      case Kind::node_dead:
        logger_.write(LogLevel::warn, "node_dead", {{"node", std::string_view(e.text)}, {"slots", e.count}});
        break;
      case Kind::store_up:
        logger_.write(LogLevel::info, "redis_up", {{"node", std::string_view(e.text)}, {"clients_resumed", e.count}});
        break;
      case Kind::store_down:
        logger_.write(LogLevel::warn, "redis_down", {{"reason", std::string_view(e.text)}, {"clients_waiting", e.count}});
        break;
      case Kind::store_gave_up:
        logger_.write(LogLevel::warn, "redis_grace_over",
                      {{"reason", std::string_view(e.text)}, {"clients_told_to_resume", e.count}});
        break;
      case Kind::evicted:
        metrics_.evicted();
        logger_.write(LogLevel::warn, "evicted", {{"conn", e.conn}});
        break;
    }
  }
}

std::string Hub::channel_tag(const Cid& cid) {
  std::lock_guard lock(mutex_);
  return tagger_.tag(cid, Clock::now());
}

void Hub::sweep() {
  auto now = Clock::now();
  backend_->sweep(now);
  std::lock_guard lock(mutex_);
  admission_.prune(now);
}

void Hub::end_all() {
  std::vector<std::shared_ptr<Endpoint>> all;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (auto& [id, weak] : endpoints_)
      if (auto e = weak.lock()) all.push_back(std::move(e));
  }
  backend_->shut_down(Clock::now());
  for (auto& e : all) e->end(Code::going_away);
}

std::string Hub::render_metrics() {
  auto backend = backend_->stats();
  std::uint32_t connections = 0;
  {
    std::lock_guard lock(mutex_);
    connections = admission_.connections();
  }
  MetricsGauges gauges{connections,
                       backend.channels,
                       backend.buffered_bytes,
                       backend.store_up,
                       backend.store_pending ? std::optional<std::uint64_t>(*backend.store_pending) : std::nullopt,
                       logger_.lines_dropped(),
                       logger_.lines_suppressed()};
  return metrics_.render(gauges);
}

HubStats Hub::stats() {
  auto backend = backend_->stats();
  std::lock_guard lock(mutex_);
  return {admission_.connections(), backend.channels, backend.buffered_bytes};
}

std::optional<std::string> Hub::unavailable_reason() {
  if (auto reason = backend_->unavailable_reason()) return reason;
  std::lock_guard lock(mutex_);
  if (admission_.connections() >= config_.limits.max_connections) return "at the connection cap (--max-connections)";
  return std::nullopt;
}

}  // namespace qrlogin::relay
