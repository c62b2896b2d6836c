#include "relay/redis/redis_backend.hpp"

#include <algorithm>

namespace qrlogin::relay {

namespace {
// A poll that Redis did not answer is tried again after this long (unless
// Redis is down, which ends every attachment).
constexpr Millis kPollRetry{1000};
}  // namespace

RedisBackend::RedisBackend(boost::asio::any_io_executor executor, const Limits& limits, RedisBackendOptions options,
                           Sink sink)
    : limits_(limits),
      sink_(std::move(sink)),
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
  heartbeat_timer_->expires_after(kNodeHeartbeat);
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
  store.heartbeat(kNodeTtl, [](auto&&) {});
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
  if (now - it->second < kNodeMissing) return;
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
    redis_->store().evict(att.cid, peer_of(att.role), node, [this, conn = conn](auto&&) { poll(conn); });
}

std::optional<std::string> RedisBackend::unavailable_reason() {
  if (is_up()) return std::nullopt;
  std::lock_guard lock(mutex_);
  return down_reason_;
}

BackendStats RedisBackend::stats() {
  std::lock_guard lock(mutex_);
  // The channels this node's clients hold; frames wait in Redis.
  return {attached_.size(), incoming_bytes_, is_up()};
}

bool RedisBackend::reserve_incoming(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  if (incoming_bytes_ + bytes > limits_.max_buffered_bytes) return false;
  incoming_bytes_ += bytes;
  return true;
}

void RedisBackend::release_incoming(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  incoming_bytes_ -= std::min(bytes, incoming_bytes_);
}

void RedisBackend::on_state(bool up, std::string_view reason) {
  if (stopped()) return;
  // Alive in Redis before any client of this node can join (commands keep
  // their order on the connection).
  if (up) redis_->store().heartbeat(kNodeTtl, [](auto&&) {});
  std::vector<ConnId> conns;
  std::vector<Orphan> orphans;
  {
    std::lock_guard lock(mutex_);
    up_.store(up, std::memory_order_release);
    down_reason_ = up ? std::string() : "redis: " + std::string(reason);
    for (const auto& [conn, att] : attached_) conns.push_back(conn);
    if (!up) {
      for (const auto& [conn, att] : attached_) orphans_.push_back({att.cid, att.role, att.epoch});
      attached_.clear();
      by_name_.clear();
    } else {
      orphans.swap(orphans_);
    }
  }
  Outcome out;
  if (up) {
    missing_since_.clear();  // Redis may have restarted: every node's key is new
    auto back = Event::of(Event::Kind::store_up, orphans.size());
    back.text = node_id_;
    out.events.push_back(std::move(back));
    sink_(std::move(out));
    // The clients Redis's outage ended: their slots start their grace now
    // (a resume on any node still works), instead of looking connected
    // until the lifetime.
    for (const auto& o : orphans) send_leave(o.cid, o.role, o.epoch, LeaveKind::abnormal);
    for (auto conn : conns) poll(conn);  // wake-ups may have been lost while down
    return;
  }
  auto down = Event::of(Event::Kind::store_down, conns.size());
  down.text = std::string(reason);
  out.events.push_back(std::move(down));
  // Without Redis this node can neither forward nor learn of the peer.
  for (auto conn : conns) out.notices.push_back(Notice::end(conn, Code::unavailable));
  sink_(std::move(out));
}

void RedisBackend::on_wake(const std::string& name) {
  wakes_.fetch_add(1, std::memory_order_acq_rel);
  std::vector<ConnId> conns;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_name_.equal_range(name);
    for (auto it = first; it != last; ++it) conns.push_back(it->second);
  }
  for (auto conn : conns) poll(conn);
}

void RedisBackend::join(JoinRequest request, JoinDone done) {
  std::optional<Code> refused;
  Outcome out;
  bool opens = !request.resume && request.role == Role::receiver;
  {
    std::lock_guard lock(mutex_);
    if (!is_up() || stopped()) refused = Code::unavailable;
    if (!refused && opens) {
      if (auto limited = admission_.open_channel(request.address, Clock::now())) {
        refused = limited->code;
        out.events.push_back(Event::rejected_by(limited->limit));
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
  auto attached = [this, request, done](bool added) {
    return [this, request, done, added](Result<redis::Attached> reply) {
      on_attached(request, added, std::move(reply), done);
    };
  };
  if (request.resume) {
    store.resume(request.cid, request.role, request.conn, request.resume->token, request.resume->received,
                 request.new_token, attached(false));
    return;
  }
  if (request.role == Role::sender) {
    store.join(request.cid, request.role, request.conn, request.new_token, attached(false));
    return;
  }
  // Only a receiver opens a channel: the cluster-wide caps and rates first.
  store.admit(request.cid, request.address,
              [this, request, done, attached](Result<redis::Admitted> admitted) {
                if (!redis_) return;
                if (!admitted.ok() || admitted->error) {
                  Outcome refusal;
                  refusal.error = admitted.ok() ? *admitted->error : Code::unavailable;
                  if (refusal.error == Code::rate_limited)
                    refusal.events.push_back(Event::rejected_by(Limit::channel_rate));
                  if (refusal.error == Code::unavailable) refusal.events.push_back(Event::rejected_by(Limit::capacity));
                  release_opener(request.conn);
                  done(std::move(refusal));
                  return;
                }
                redis_->store().join(request.cid, request.role, request.conn, request.new_token,
                                    attached(admitted->added));
              });
}

void RedisBackend::on_attached(const JoinRequest& request, bool added, Result<redis::Attached> reply,
                               JoinDone done) {
  if (!redis_) return;  // stopped: the session is gone with the io_context
  auto& store = redis_->store();
  Actions actions;
  auto& out = actions.outcome;
  if (!reply.ok()) {
    if (added) store.undo_admit(request.cid, [](auto&&) {});
    release_opener(request.conn);
    out.error = Code::unavailable;
    if (request.resume) out.events.push_back(Event::of(Event::Kind::resume_refused));
    done(std::move(out));
    return;
  }
  auto& a = *reply;
  if (added && !a.created) store.undo_admit(request.cid, [](auto&&) {});
  out.error = a.error;
  if (a.error) release_opener(request.conn);
  if (request.resume) out.events.push_back(Event::of(a.error ? Event::Kind::resume_refused : Event::Kind::resumed));
  if (a.intrusion_attempt) out.events.push_back(Event::of(Event::Kind::intrusion_attempt));
  if (!a.intrusion.empty()) {
    auto e = Event::of(Event::Kind::intrusion_noticed);
    e.conn = request.conn;
    e.role = request.role;
    out.events.push_back(std::move(e));
  }
  const auto& self = node_id();
  {
    std::lock_guard lock(mutex_);
    // The script recorded the one intrusion notice; clients on this node
    // learn of it by a poll, those elsewhere were woken.
    for (const auto& [role, holder] : a.intrusion)
      if (holder.node == self) actions.polls.push_back(holder.conn);
    if (!a.error) {
      if (a.replaced && a.replaced->node == self) {
        erase_locked(a.replaced->conn);
        actions.notice(Notice::end(a.replaced->conn, Code::replaced));
      }
      Attachment att;
      att.cid = request.cid;
      att.name = store.channel_name(request.cid);
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
      by_name_.emplace(att.name, request.conn);
      attached_[request.conn] = std::move(att);
      if (a.peer && a.peer->node == self) actions.polls.push_back(a.peer->conn);
    }
  }
  if (a.resumed && a.ends_at > 0) store.set_open_until(request.cid, a.ends_at, true, [](auto&&) {});
  // The joiner hears `joined` first; what others must hear follows.
  Outcome rest;
  rest.notices = std::move(out.notices);
  out.notices.clear();
  done(std::move(out));
  actions.outcome = std::move(rest);
  run(actions);
}

void RedisBackend::forward(const Cid& cid, Role from, ConnId conn, Frame frame) {
  std::uint64_t epoch = 0;
  std::uint64_t index = 0;
  if (stopped()) return;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end() || it->second.ended) return;  // its slot is gone; it is being closed
    epoch = it->second.epoch;
    index = it->second.next_out++;
  }
  auto size = frame ? frame->size() : 0;
  redis_->store().append(cid, from, epoch, index, frame,
                        [this, conn, size, frame](Result<redis::Appended> reply) {
                          on_appended(conn, size, frame, std::move(reply));
                        });
}

void RedisBackend::on_appended(ConnId conn, std::size_t size, const Frame& frame,
                               Result<redis::Appended> reply) {
  Actions actions;
  if (!reply.ok()) {
    actions.notice(Notice::end(conn, Code::unavailable));
    run(actions);
    return;
  }
  const auto& a = *reply;
  if (a.error) {
    if (a.error == Code::replaced) {
      // Fenced: the slot was resumed on another node while this one was
      // frozen or cut off. The frame is not stored; the client has moved on.
      auto fenced = Event::of(Event::Kind::fenced);
      fenced.conn = conn;
      actions.event(std::move(fenced));
    }
    if (a.error == Code::too_large) actions.event(Event::rejected_by(Limit::channel_budget));
    actions.notice(Notice::end(conn, *a.error));
    if (a.slow_peer && a.slow_peer->node == node_id())
      actions.notice(Notice::end(a.slow_peer->conn, Code::slow_consumer));
    run(actions);
    return;
  }
  if (a.duplicate) return;
  actions.event(Event::of(Event::Kind::forwarded, size));
  if (a.peer && a.peer->node == node_id()) {
    std::lock_guard lock(mutex_);
    offer_locked(a.peer->conn, a.index, frame, actions);
  }
  run(actions);
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

void RedisBackend::delivered(const Cid& /*cid*/, Role from, std::uint64_t index, ConnId to) {
  if (stopped()) return;
  Cid cid{};
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(to);
    if (it == attached_.end() || it->second.role != peer_of(from)) return;
    cid = it->second.cid;
    epoch = it->second.epoch;
  }
  redis_->store().delivered(cid, peer_of(from), epoch, index, [](auto&&) {});
}

void RedisBackend::leave(const Cid& /*cid*/, Role role, ConnId conn, LeaveKind kind) {
  release_opener(conn);
  if (stopped()) return;
  Cid cid{};
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end()) return;  // ended by Redis going down (see on_state), or replaced here
    cid = it->second.cid;
    epoch = it->second.epoch;
    erase_locked(conn);
  }
  send_leave(cid, role, epoch, kind);
}

void RedisBackend::release_opener(ConnId conn) {
  std::lock_guard lock(mutex_);
  auto it = openers_.find(conn);
  if (it == openers_.end()) return;
  admission_.release_channel(it->second, Clock::now());
  openers_.erase(it);
}

void RedisBackend::send_leave(const Cid& cid, Role role, std::uint64_t epoch, LeaveKind kind) {
  redis_->store().leave(cid, role, epoch, kind, [this, cid, kind](Result<redis::Left> left) {
    if (!left.ok() || left->error || !redis_) return;  // Redis gone (the lifetime ends it), or taken over
    if (left->completed) {
      Outcome out;
      out.events.push_back(Event::of(Event::Kind::completed));
      sink_(std::move(out));
    }
    // A normal close ends the channel: it no longer counts against
    // --max-channels. After a drop, it counts until its grace ends it.
    if (kind == LeaveKind::normal) redis_->store().release(cid, [](auto&&) {});
    else if (left->ends_at > 0) redis_->store().set_open_until(cid, left->ends_at, false, [](auto&&) {});
    if (left->peer && left->peer->node == node_id()) poll(left->peer->conn);
  });
}

void RedisBackend::poll(ConnId conn) {
  if (stopped()) return;
  Cid cid{};
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
    cid = att.cid;
    role = att.role;
    epoch = att.epoch;
    from = att.next_in;
  }
  redis_->store().poll(cid, role, epoch, from, [this, conn, epoch](Result<redis::Polled> reply) {
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
      if (reply->error == Code::peer_closed) actions.notice(Notice::end_by_peer(conn));
      else actions.notice(Notice::end(conn, *reply->error));
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
  std::vector<ConnId> due;
  {
    std::lock_guard lock(mutex_);
    for (auto& [conn, att] : attached_) {
      if (att.ended || att.check_at > now) continue;
      att.check_at = TimePoint::max();  // set again by the poll's reply
      due.push_back(conn);
    }
    admission_.prune(now);
  }
  for (auto conn : due) poll(conn);
}

void RedisBackend::erase_locked(ConnId conn) {
  auto it = attached_.find(conn);
  if (it == attached_.end()) return;
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
