#include "relay/redis/redis_backend.hpp"

#include <algorithm>
#include <charconv>

namespace qrlogin::relay {

namespace {
// A poll that Redis did not answer is tried again after this long.
constexpr Millis kPollRetry{1000};
// How long a wake-up for a channel no client here holds is remembered.
constexpr Millis kEarlyWake{5000};
}  // namespace

RedisBackend::RedisBackend(boost::asio::any_io_executor executor, const Limits& limits, RedisBackendOptions options,
                           Sink sink)
    : limits_(limits),
      sink_(std::move(sink)),
      redis_grace_(options.redis_grace),
      node_ttl_(options.node_ttl),
      heartbeat_every_(std::max(Millis{1}, options.node_ttl / 5)),
      heartbeat_timer_(std::make_unique<boost::asio::steady_timer>(executor)),
      redis_(std::make_unique<redis::Connections>(
          executor, options.redis, std::move(options.name_key), limits,
          redis::StoreOptions{std::move(options.prefix), std::move(options.node_id)},
          [this](bool up, std::string_view reason) { on_state(up, reason); },
          [this](std::string name) { on_wake(name); })),
      admission_(limits, Clock::now()) {
  node_id_ = redis_->store().node_id();
  down_reason_ = "connecting to Redis";
}

RedisBackend::~RedisBackend() { stop(); }

void RedisBackend::start() {
  redis_->start();
  schedule_heartbeat();
}

void RedisBackend::stop() {
  stopped_.store(true, std::memory_order_release);
  if (heartbeat_timer_) heartbeat_timer_->cancel();
  if (redis_) redis_->stop();
  heartbeat_timer_.reset();
  redis_.reset();
}

void RedisBackend::schedule_heartbeat() {
  heartbeat_timer_->expires_after(heartbeat_every_);
  heartbeat_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || stopped()) return;
    heartbeat();
    schedule_heartbeat();
  });
}

// Runs on the executor: refreshes this node's key, then checks the nodes
// that hold the peers of this node's clients.
void RedisBackend::heartbeat() {
  if (!is_up() || !redis_) return;
  auto& store = redis_->store();
  store.heartbeat(node_ttl_, [](auto&&) {});
  std::vector<std::string> nodes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [conn, att] : attached_)
      if (!att.ended && !att.peer_node.empty() && att.peer_node != node_id_ &&
          std::find(nodes.begin(), nodes.end(), att.peer_node) == nodes.end())
        nodes.push_back(att.peer_node);
  }
  for (auto& node : nodes)
    store.node_alive(node, [this, node](Result<bool> alive) {
      if (alive.ok()) node_checked(node, *alive);
    });
}

void RedisBackend::node_checked(const std::string& node, bool alive) {
  if (alive) {
    missing_since_.erase(node);
    return;
  }
  auto now = Clock::now();
  auto [it, first] = missing_since_.try_emplace(node, now);
  // Gone for two refresh periods: not a Redis restart that lost every key
  // (each node writes its own again within one period).
  if (now - it->second < 2 * heartbeat_every_) return;
  missing_since_.erase(it);
  evict_node(node);
}

void RedisBackend::evict_node(const std::string& node) {
  std::vector<std::pair<ConnId, Attachment>> affected;
  {
    std::lock_guard lock(mutex_);
    for (auto& [conn, att] : attached_) {
      if (att.ended || att.peer_node != node) continue;
      att.peer_node.clear();  // evicted once; a resume elsewhere names a new node
      affected.emplace_back(conn, att);
    }
  }
  if (affected.empty() || !redis_) return;
  Outcome out;
  auto dead = Event::of(Event::Kind::node_dead, affected.size());
  dead.text = node;
  out.events.push_back(std::move(dead));
  sink_(std::move(out));
  for (auto& [conn, att] : affected)
    redis_->store().evict(att.name, peer_of(att.role), node, [this, conn = conn](auto&&) { poll(conn); });
}

std::optional<std::string> RedisBackend::unavailable_reason() {
  if (is_up()) return std::nullopt;
  std::lock_guard lock(mutex_);
  return down_reason_;
}

BackendStats RedisBackend::stats() {
  std::lock_guard lock(mutex_);
  // The channels this node's clients hold; frames wait in Redis.
  return {attached_.size(), incoming_bytes_, is_up(), pending()};
}

bool RedisBackend::settled() {
  if (!is_up()) return true;  // nothing more would land
  if (pending() > 0) return false;
  std::lock_guard lock(mutex_);
  return pending_leaves_.empty();
}

bool RedisBackend::reserve_incoming(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  if (incoming_bytes_ + bytes > limits_.max_buffered_bytes) return false;
  incoming_bytes_ += bytes;
  return true;
}

void RedisBackend::release_incoming(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  unreserve_locked(bytes);
}

void RedisBackend::on_state(bool up, std::string_view reason) {
  if (stopped()) return;
  // Alive in Redis before any client of this node can join (commands keep
  // their order on the connection).
  if (up) redis_->store().heartbeat(node_ttl_, [](auto&&) {});
  std::vector<ConnId> conns;
  {
    std::lock_guard lock(mutex_);
    up_.store(up, std::memory_order_release);
    down_reason_ = up ? std::string() : "redis: " + std::string(reason);
    if (up) down_since_.reset();
    else if (!down_since_) down_since_ = Clock::now();
    for (const auto& [conn, att] : attached_) conns.push_back(conn);
  }
  Outcome out;
  if (!up) {
    // A pause: the clients keep their sockets and slots, and wait (each
    // with at most one frame held here) for Redis or the grace's end.
    auto down = Event::of(Event::Kind::store_down, conns.size());
    down.text = std::string(reason);
    out.events.push_back(std::move(down));
    sink_(std::move(out));
    return;
  }
  missing_since_.clear();  // Redis may have restarted: every node's key is new
  auto back = Event::of(Event::Kind::store_up, conns.size());
  back.text = node_id_;
  out.events.push_back(std::move(back));
  sink_(std::move(out));
  send_pending_leaves();
  // What was held goes now; wake-ups may have been lost while away. If Redis
  // restarted empty, these find the channels gone: `expired`.
  for (auto conn : conns) {
    send_append(conn);
    poll(conn);
  }
}

void RedisBackend::give_up_waiting(TimePoint now) {
  std::vector<std::pair<ConnId, PendingLeave>> ended;
  bool away = false;
  {
    std::lock_guard lock(mutex_);
    away = down_since_ && now - *down_since_ >= redis_grace_;
    for (auto& [conn, att] : attached_) {
      if (att.ended) continue;
      bool stuck = !att.held.empty() && now - att.held_since >= redis_grace_;
      if (!away && !stuck) continue;
      ended.push_back({conn, {att.name, att.role, att.epoch, LeaveKind::abnormal,
                              now + limits_.channel_lifetime + limits_.grace}});
    }
    for (const auto& e : ended) erase_locked(e.first);
  }
  if (ended.empty()) return;
  Outcome out;
  auto gave_up = Event::of(Event::Kind::store_gave_up, ended.size());
  gave_up.text = away ? "redis away past --redis-grace" : "a frame waited past --redis-grace";
  out.events.push_back(std::move(gave_up));
  // They resume, here once Redis is back or on another node; their slots
  // start their grace when Redis hears of it.
  for (const auto& e : ended) out.notices.push_back(Notice::end(e.first, Code::unavailable));
  sink_(std::move(out));
  for (auto& e : ended) send_leave(std::move(e.second));
}

struct RedisBackend::WakeNews {
  char kind = 0;  // 'j' joined, 'f' a frame, 'c' closed normally
  Role role = Role::receiver;  // whose news
  std::uint64_t epoch = 0;     // j, f: the attach it came from
  std::uint64_t number = 0;    // f: the frame's index; c: the closer's frame count
  std::string node;            // j: where the peer is
  Frame frame;                 // f
};

namespace {

// The next '|'-separated field of `rest` (advancing it), as a number.
bool take_number(std::string_view& rest, std::uint64_t& out) {
  auto bar = rest.find('|');
  auto text = rest.substr(0, bar);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return false;
  rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
  return true;
}

}  // namespace

void RedisBackend::on_wake(const std::string& payload) {
  wakes_.fetch_add(1, std::memory_order_acq_rel);
  std::string_view view(payload);
  auto bar = view.find('|');
  std::string name(view.substr(0, bar));
  // The news, if any and well formed; anything else is a plain wake-up.
  std::optional<WakeNews> news;
  if (bar != std::string_view::npos && view.size() >= bar + 4 && view[bar + 2] == '|' &&
      (view[bar + 3] == 'r' || view[bar + 3] == 's') && (view.size() == bar + 4 || view[bar + 4] == '|')) {
    WakeNews n;
    n.kind = view[bar + 1];
    n.role = view[bar + 3] == 'r' ? Role::receiver : Role::sender;
    auto rest = view.size() > bar + 5 ? view.substr(bar + 5) : std::string_view{};
    bool ok = false;
    if (n.kind == 'j') {
      ok = take_number(rest, n.epoch) && !rest.empty();
      n.node = std::string(rest);
    } else if (n.kind == 'f') {
      // The frame's bytes are the rest, '|' and all.
      ok = take_number(rest, n.epoch) && take_number(rest, n.number);
      if (ok) n.frame = std::make_shared<const std::vector<std::uint8_t>>(rest.begin(), rest.end());
    } else if (n.kind == 'c') {
      ok = take_number(rest, n.number);
    }
    if (ok) news = std::move(n);
  }
  Actions actions;
  std::vector<ConnId> polls;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_name_.equal_range(name);
    for (auto it = first; it != last; ++it) {
      auto a = attached_.find(it->second);
      if (a == attached_.end()) continue;
      if (news && apply_news_locked(it->second, a->second, *news, actions)) continue;
      polls.push_back(it->second);
    }
    // Perhaps for a client whose join's reply has not arrived yet (the
    // wake-up came first, on the other connection): it polls once attached.
    if (first == last) early_wakes_[name] = Clock::now() + kEarlyWake;
  }
  run(actions);
  for (auto conn : polls) poll(conn);
}

bool RedisBackend::apply_news_locked(ConnId conn, Attachment& att, const WakeNews& news, Actions& actions) {
  // Only news from the peer, to an attachment that is not waiting for a
  // poll's reply (which may bring older news): anything else polls.
  if (att.ended || att.polling || news.role != peer_of(att.role)) return false;
  switch (news.kind) {
    case 'j':
      if (att.peer_epoch != 0 || att.peer_present || news.epoch != 1) return false;
      att.peer_present = true;
      att.peer_epoch = 1;
      att.peer_node = news.node;
      actions.notice(Notice::peer(conn, PeerEvent::joined));
      return true;
    case 'f':
      if (!att.peer_present || att.peer_epoch != news.epoch) return false;
      if (news.number < att.next_in) return true;  // had it already
      if (news.number > att.next_in) return false;  // missed one: poll
      ++att.next_in;
      actions.notice(Notice::deliver({conn, peer_of(att.role), news.number, news.frame}));
      return true;
    case 'c':
      if (news.number != att.next_in) return false;  // its last frames: poll fetches them first
      att.ended = true;
      att.peer_closed = true;
      actions.notice(Notice::end_by_peer(conn));
      return true;
    default:
      return false;
  }
}

void RedisBackend::join(JoinRequest request, JoinDone done) {
  std::optional<Code> refused;
  Outcome out;
  bool opens = !request.resume && request.role == Role::receiver;
  bool code = request.kind == ChannelKind::code;
  {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    if (!is_up() || stopped()) refused = Code::unavailable;
    // A code request is refused before it looks when its address has no
    // lookup left here (the registry's rule, relay/core/registry.cpp).
    if (!refused && code && !request.resume) {
      if (auto limited = admission_.check_lookup(request.address, now)) {
        refused = limited->code;
        out.events.push_back(Event::rejected_by(limited->limit));
        out.events.push_back(Event::looked_up_as(LookupResult::rate_limited));
      }
    }
    if (!refused && opens && code) {
      if (auto capped = admission_.open_code_channel(request.address, now)) {
        refused = capped->code;
        out.events.push_back(Event::rejected_by(capped->limit));
      } else {
        code_openers_.emplace(request.conn, request.address);
      }
    }
    if (!refused && opens) {
      if (auto limited = admission_.open_channel(request.address, now)) {
        refused = limited->code;
        out.events.push_back(Event::rejected_by(limited->limit));
        release_code_opener_locked(request.conn, now);
      } else {
        openers_.emplace(request.conn, request.address);
      }
    }
  }
  if (refused) {
    out.error = refused;
    if (request.resume) out.events.push_back(Event::of(Event::Kind::resume_refused));
    done(std::move(out));
    return;
  }
  auto& store = redis_->store();
  auto name = store.channel_name(request.cid);
  auto attached = [this, request, name, done](Result<redis::Attached> reply) {
    on_attached(request, name, std::move(reply), done);
  };
  if (request.resume) {
    store.resume(name, request.role, request.conn, request.resume->token, request.resume->received,
                 request.new_token, request.kind, std::move(attached));
    return;
  }
  // A receiver that opens the channel passes the cluster-wide caps and
  // rates in the same function.
  store.join(name, request.role, request.conn, request.new_token, request.address, request.kind,
             std::move(attached));
}

void RedisBackend::on_attached(const JoinRequest& request, const std::string& name, Result<redis::Attached> reply,
                               JoinDone done) {
  if (!redis_) return;  // stopped: the session is gone with the io_context
  Actions actions;
  auto& out = actions.outcome;
  if (!reply.ok()) {
    release_opener(request.conn);
    out.error = Code::unavailable;
    if (request.resume) out.events.push_back(Event::of(Event::Kind::resume_refused));
    done(std::move(out));
    return;
  }
  auto& a = *reply;
  out.error = a.error;
  if (a.error) release_opener(request.conn);
  // Refused by the cluster-wide caps and rates (a receiver opening it).
  if (a.error == Code::rate_limited) out.events.push_back(Event::rejected_by(Limit::channel_rate));
  if (a.error == Code::unavailable) out.events.push_back(Event::rejected_by(a.limit.value_or(Limit::capacity)));
  if (a.lookup) {
    // A code channel lookup counts against the address's limits here.
    {
      std::lock_guard lock(mutex_);
      admission_.count_lookup(request.address, Clock::now());
    }
    out.events.push_back(Event::looked_up_as(*a.lookup));
  }
  if (request.resume) out.events.push_back(Event::of(a.error ? Event::Kind::resume_refused : Event::Kind::resumed));
  if (a.intrusion_attempt) out.events.push_back(Event::of(Event::Kind::intrusion_attempt));
  if (!a.intrusion.empty()) {
    auto e = Event::about(Event::Kind::intrusion_noticed, request.conn);
    e.role = request.role;
    out.events.push_back(std::move(e));
  }
  const auto& self = node_id();
  {
    std::lock_guard lock(mutex_);
    // The function recorded the one intrusion notice; clients on this node
    // learn of it by a poll, those elsewhere were woken.
    for (const auto& [role, holder] : a.intrusion)
      if (holder.node == self) actions.polls.push_back(holder.conn);
    if (!a.error) {
      if (a.replaced && a.replaced->node == self) {
        erase_locked(a.replaced->conn);
        actions.notice(Notice::end(a.replaced->conn, Code::replaced));
      }
      Attachment att;
      att.name = name;
      att.role = request.role;
      att.epoch = a.epoch;
      att.next_out = a.resumed ? a.received : 0;
      att.next_in = request.resume ? request.resume->received : 0;
      auto& joined = out.joined;
      for (auto& frame : a.backlog) {
        if (frame.index < att.next_in) continue;
        att.next_in = frame.index + 1;
        joined.backlog.push_back({request.conn, peer_of(request.role), frame.index, std::move(frame.frame)});
      }
      joined.expires_in = a.expires_in;
      joined.peer_present = a.peer_present;
      joined.resumed = a.resumed;
      joined.received = a.received;
      att.peer_epoch = a.peer_epoch;
      att.peer_present = a.peer_present;
      if (a.peer) att.peer_node = a.peer->node;
      att.check_at = Clock::now() + a.expires_in;
      // Joined while the peer is away: its grace may end the channel first.
      if (a.peer_grace_in > Millis{0}) att.check_at = std::min(att.check_at, Clock::now() + a.peer_grace_in);
      if (auto early = early_wakes_.find(att.name); early != early_wakes_.end()) {
        early_wakes_.erase(early);
        actions.polls.push_back(request.conn);
      }
      by_name_.emplace(att.name, request.conn);
      attached_[request.conn] = std::move(att);
      if (a.peer && a.peer->node == self) actions.polls.push_back(a.peer->conn);
    }
  }
  // The joiner hears `joined` first; what others must hear follows.
  Outcome rest;
  rest.notices = std::move(out.notices);
  out.notices.clear();
  done(std::move(out));
  actions.outcome = std::move(rest);
  run(actions);
}

bool RedisBackend::forward(const Cid& /*cid*/, Role /*from*/, ConnId conn, Frame frame, std::uint64_t taken) {
  if (stopped()) return true;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end() || it->second.ended) return true;  // its slot is gone; it is being closed
    auto& att = it->second;
    if (att.held.empty()) att.held_since = Clock::now();
    incoming_bytes_ += frame ? frame->size() : 0;
    att.held.push_back({std::move(frame), taken});
  }
  send_append(conn);
  return false;
}

void RedisBackend::send_append(ConnId conn) {
  if (stopped() || !is_up()) return;  // sent when Redis is back (on_state)
  std::string name;
  Role role = Role::receiver;
  std::uint64_t epoch = 0;
  std::uint64_t index = 0;
  std::uint64_t taken = 0;
  Frame frame;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end() || it->second.ended || it->second.appending || it->second.held.empty()) return;
    auto& att = it->second;
    att.appending = true;
    name = att.name;
    role = att.role;
    epoch = att.epoch;
    index = att.next_out;
    frame = att.held.front().frame;
    taken = att.held.front().taken;
  }
  redis_->store().append(name, role, epoch, index, frame, taken,
                         [this, conn, epoch, index, frame](Result<redis::Appended> reply) {
                           on_appended(conn, epoch, index, frame, std::move(reply));
                         });
}

void RedisBackend::on_appended(ConnId conn, std::uint64_t epoch, std::uint64_t index, const Frame& frame,
                               Result<redis::Appended> reply) {
  Actions actions;
  auto size = frame ? frame->size() : 0;
  bool next = false;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    // Gone (left, ended, told to resume) or attached anew: nothing to do; a
    // frame Redis stored anyway is counted in the `received` of a resume.
    if (it == attached_.end() || it->second.epoch != epoch || it->second.next_out != index) return;
    auto& att = it->second;
    att.appending = false;
    if (!reply.ok()) {
      // Redis is away or did not take it now: the frame stays held (and the
      // socket unread) until Redis is back, or the grace ends (sweep).
      return;
    }
    att.held.pop_front();
    att.held_since = Clock::now();
    unreserve_locked(size);
    const auto& a = *reply;
    if (a.error) {
      att.ended = true;
    } else {
      ++att.next_out;
      next = !att.held.empty();
      if (!next) actions.notice(Notice::read_on(conn));
    }
  }
  const auto& a = *reply;
  if (a.error) {
    if (a.error == Code::replaced) {
      // Fenced: the slot was resumed on another node while this one was
      // frozen or cut off. The frame is not stored; the client has moved on.
      actions.event(Event::about(Event::Kind::fenced, conn));
    }
    // Evicted while this node stalled: the client resumes (its token is good).
    if (a.error == Code::unavailable) actions.event(Event::about(Event::Kind::evicted, conn));
    if (a.error == Code::too_large) actions.event(Event::rejected_by(Limit::channel_budget));
    actions.notice(Notice::end(conn, *a.error));
    if (a.slow_peer && a.slow_peer->node == node_id())
      actions.notice(Notice::end(a.slow_peer->conn, Code::slow_consumer));
    run(actions);
    return;
  }
  if (!a.duplicate) actions.event(Event::of(Event::Kind::forwarded, size));
  if (!a.duplicate && a.peer && a.peer->node == node_id()) {
    std::lock_guard lock(mutex_);
    offer_locked(a.peer->conn, a.index, frame, actions);
  }
  run(actions);
  if (next) send_append(conn);
}

void RedisBackend::offer_locked(ConnId to, std::uint64_t index, const Frame& frame, Actions& actions) {
  auto it = attached_.find(to);
  if (it == attached_.end() || it->second.ended) return;
  auto& att = it->second;
  if (index == att.next_in) {
    ++att.next_in;
    actions.notice(Notice::deliver({to, peer_of(att.role), index, frame}));
  } else if (index > att.next_in) {
    actions.polls.push_back(to);
  }
}

void RedisBackend::take_frames_locked(ConnId conn, Attachment& att, std::vector<redis::StoredFrame>& frames,
                                      Actions& actions) {
  for (auto& frame : frames) {
    if (frame.index < att.next_in) continue;  // already handed to the socket
    att.next_in = frame.index + 1;
    actions.notice(Notice::deliver({conn, peer_of(att.role), frame.index, std::move(frame.frame)}));
  }
}

void RedisBackend::leave(const Cid& /*cid*/, Role role, ConnId conn, LeaveKind kind) {
  release_opener(conn);
  if (stopped()) return;
  PendingLeave leave;
  bool peer_closed = false;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end()) return;  // told to resume (Redis away), or replaced here
    leave = {it->second.name, role, it->second.epoch, kind,
             Clock::now() + std::max(limits_.channel_lifetime, limits_.code_lifetime) + limits_.grace};
    peer_closed = it->second.peer_closed;
    erase_locked(conn);
  }
  // The peer's close already ended the channel (and counted it completed):
  // only its keys are left, and they expire by themselves if this is lost.
  if (peer_closed) {
    if (is_up()) redis_->store().forget(leave.name, [](auto&&) {});
    return;
  }
  send_leave(std::move(leave));
}

void RedisBackend::release_opener(ConnId conn) {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  release_code_opener_locked(conn, now);
  auto it = openers_.find(conn);
  if (it == openers_.end()) return;
  admission_.release_channel(it->second, now);
  openers_.erase(it);
}

void RedisBackend::release_code_opener_locked(ConnId conn, TimePoint now) {
  auto it = code_openers_.find(conn);
  if (it == code_openers_.end()) return;
  admission_.release_code_channel(it->second, now);
  code_openers_.erase(it);
}

void RedisBackend::send_leave(PendingLeave leave) {
  if (stopped()) return;
  if (!is_up()) {
    std::lock_guard lock(mutex_);
    pending_leaves_.push_back(std::move(leave));  // sent when Redis is back
    return;
  }
  redis_->store().leave(leave.name, leave.role, leave.epoch, leave.kind, [this, leave](Result<redis::Left> left) {
    if (!redis_) return;
    if (!left.ok()) {
      // Lost with the connection (or refused for the queue bound): again
      // when Redis is back, or at the next sweep.
      std::lock_guard lock(mutex_);
      pending_leaves_.push_back(leave);
      return;
    }
    if (left->error) return;  // taken over: someone else holds the slot now
    if (left->completed) {
      Outcome out;
      out.events.push_back(Event::of(Event::Kind::completed));
      sink_(std::move(out));
    }
    if (left->peer && left->peer->node == node_id()) poll(left->peer->conn);
  });
}

void RedisBackend::send_pending_leaves() {
  std::vector<PendingLeave> leaves;
  auto now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    leaves.swap(pending_leaves_);
  }
  for (auto& l : leaves)
    if (now < l.give_up_at) send_leave(std::move(l));  // past it the channel is gone anyway
}

void RedisBackend::poll(ConnId conn) {
  if (stopped()) return;
  std::string name;
  Role role = Role::receiver;
  std::uint64_t epoch = 0;
  std::uint64_t from = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end() || it->second.ended) return;
    auto& att = it->second;
    if (att.polling) {
      att.poll_again = true;
      return;
    }
    att.polling = true;
    name = att.name;
    role = att.role;
    epoch = att.epoch;
    from = att.next_in;
  }
  redis_->store().poll(name, role, epoch, from, [this, conn, epoch](Result<redis::Polled> reply) {
    on_polled(conn, epoch, std::move(reply));
  });
}

void RedisBackend::on_polled(ConnId conn, std::uint64_t epoch, Result<redis::Polled> reply) {
  Actions actions;
  bool again = false;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end() || it->second.epoch != epoch) return;
    auto& att = it->second;
    att.polling = false;
    again = std::exchange(att.poll_again, false);
    auto now = Clock::now();
    if (!reply.ok()) {
      att.check_at = now + kPollRetry;
    } else if (reply->error) {
      att.ended = true;
      // A normal close by the peer: its last frames first, then `peer left`.
      take_frames_locked(conn, att, reply->frames, actions);
      att.peer_closed = reply->error == Code::peer_closed;
      if (att.peer_closed) actions.notice(Notice::end_by_peer(conn));
      else actions.notice(Notice::end(conn, *reply->error));
      // Evicted while this node stalled: the client resumes.
      if (reply->error == Code::unavailable) actions.event(Event::about(Event::Kind::evicted, conn));
    } else {
      auto& p = *reply;
      if (p.intrusion && !att.intrusion_notified) {
        att.intrusion_notified = true;
        actions.notice(Notice::intrusion(conn));
      }
      if (p.peer_present && p.peer_epoch > att.peer_epoch)
        actions.notice(Notice::peer(conn, att.peer_epoch == 0 ? PeerEvent::joined : PeerEvent::back));
      take_frames_locked(conn, att, p.frames, actions);
      if (!p.peer_present && att.peer_present) actions.notice(Notice::peer(conn, PeerEvent::left));
      att.peer_epoch = std::max(att.peer_epoch, p.peer_epoch);
      att.peer_present = p.peer_present;
      att.peer_node = p.peer ? p.peer->node : std::string();
      att.check_at = now + p.expires_in;
      if (p.peer_grace_in > Millis{0}) att.check_at = std::min(att.check_at, now + p.peer_grace_in);
    }
  }
  run(actions);
  if (again) poll(conn);
}

void RedisBackend::sweep(TimePoint now) {
  give_up_waiting(now);
  std::vector<ConnId> due;
  std::vector<ConnId> unsent;
  bool retry_leaves = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& [conn, att] : attached_) {
      if (att.ended) continue;
      if (!att.held.empty() && !att.appending) unsent.push_back(conn);  // Redis did not take it last time
      if (att.check_at > now) continue;
      att.check_at = TimePoint::max();  // set again by the poll's reply
      due.push_back(conn);
    }
    admission_.prune(now);
    std::erase_if(early_wakes_, [now](const auto& w) { return w.second <= now; });
    retry_leaves = !pending_leaves_.empty() && is_up();
  }
  if (retry_leaves) send_pending_leaves();
  for (auto conn : unsent) send_append(conn);
  for (auto conn : due) poll(conn);
}

void RedisBackend::erase_locked(ConnId conn) {
  auto it = attached_.find(conn);
  if (it == attached_.end()) return;
  for (const auto& h : it->second.held) unreserve_locked(h.frame ? h.frame->size() : 0);
  auto [first, last] = by_name_.equal_range(it->second.name);
  for (auto n = first; n != last; ++n) {
    if (n->second == conn) {
      by_name_.erase(n);
      break;
    }
  }
  attached_.erase(it);
}

void RedisBackend::run(Actions& actions) {
  if (stopped()) return;
  auto& out = actions.outcome;
  if (!out.notices.empty() || !out.events.empty()) sink_(std::move(out));
  for (auto conn : actions.polls) poll(conn);
}

}  // namespace qrlogin::relay
