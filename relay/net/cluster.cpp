#include "relay/net/cluster.hpp"

#include <algorithm>

#include "relay/core/control.hpp"

namespace qrlogin::relay {

namespace {
// A poll that Redis did not answer is tried again after this long (unless
// Redis is down, which ends every attachment).
constexpr Millis kPollRetry{1000};
}  // namespace

Cluster::Cluster(Hub& hub, boost::asio::any_io_executor executor, ClusterOptions options)
    : hub_(hub),
      heartbeat_timer_(executor),
      backend_(
          executor, options.redis, std::move(options.name_key), hub.limits(),
          redis::StoreOptions{"qrl", std::move(options.node_id)},
          [this](bool up, std::string_view reason) { on_state(up, reason); },
          [this](std::string name) { on_wake(name); }) {
  node_id_ = backend_.store().node_id();
  down_reason_ = "connecting to Redis";
}

Cluster::~Cluster() { stop(); }

void Cluster::start() {
  backend_.start();
  schedule_heartbeat();
}

void Cluster::stop() {
  heartbeat_timer_.cancel();
  backend_.stop();
}

void Cluster::schedule_heartbeat() {
  heartbeat_timer_.expires_after(kNodeHeartbeat);
  heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    heartbeat();
    schedule_heartbeat();
  });
}

// Runs on the backend's executor: refreshes this node's key, then checks the
// nodes that hold the peers of this node's clients.
void Cluster::heartbeat() {
  if (!is_up()) return;
  auto& store = backend_.store();
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

void Cluster::node_checked(const std::string& node, bool alive) {
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

void Cluster::evict_node(const std::string& node) {
  std::vector<std::pair<ConnId, Attachment>> affected;
  {
    std::lock_guard lock(mutex_);
    for (auto& [conn, att] : attached_) {
      if (att.ended || att.peer_node != node) continue;
      att.peer_node.clear();  // evicted once; a resume elsewhere names a new node
      affected.emplace_back(conn, att);
    }
  }
  if (affected.empty()) return;
  hub_.logger().write(LogLevel::warn, "node_dead", {{"node", std::string_view(node)}, {"slots", std::uint64_t{affected.size()}}});
  for (auto& [conn, att] : affected)
    backend_.store().evict(att.cid, peer_of(att.role), node, [this, conn = conn](auto&&) { poll(conn); });
}

std::string Cluster::down_reason() const {
  std::lock_guard lock(mutex_);
  return down_reason_;
}

std::size_t Cluster::attachments() const {
  std::lock_guard lock(mutex_);
  return attached_.size();
}

void Cluster::on_state(bool up, std::string_view reason) {
  // Alive in Redis before any client of this node can join (commands keep
  // their order on the connection).
  if (up) backend_.store().heartbeat(kNodeTtl, [](auto&&) {});
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
  if (up) {
    missing_since_.clear();  // Redis may have restarted: every node's key is new
    hub_.logger().write(LogLevel::info, "redis_up",
                        {{"node", std::string_view(node_id())}, {"slots_released", std::uint64_t{orphans.size()}}});
    // The clients Redis's outage ended: their slots start their grace now
    // (a resume on any node still works), instead of looking connected
    // until the lifetime.
    for (const auto& o : orphans) send_leave(o.cid, o.role, o.epoch, LeaveKind::abnormal);
    for (auto conn : conns) poll(conn);  // wake-ups may have been lost while down
    return;
  }
  hub_.logger().write(LogLevel::warn, "redis_down",
                      {{"reason", reason}, {"clients_ended", std::uint64_t{conns.size()}}});
  // Without Redis this node can neither forward nor learn of the peer.
  for (auto conn : conns)
    if (auto endpoint = hub_.find(conn)) endpoint->end(Code::unavailable);
}

void Cluster::on_wake(const std::string& name) {
  std::vector<ConnId> conns;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_name_.equal_range(name);
    for (auto it = first; it != last; ++it) conns.push_back(it->second);
  }
  for (auto conn : conns) poll(conn);
}

void Cluster::join(JoinArgs args, std::function<void(JoinResult)> done) {
  auto& store = backend_.store();
  auto attached = [this, args, done](bool added) {
    return [this, args, done, added](Result<redis::Attached> reply) {
      on_attached(args, added, std::move(reply), done);
    };
  };
  if (args.resume) {
    store.resume(args.cid, args.role, args.conn, args.resume->token, args.resume->received, args.new_token,
                 attached(false));
    return;
  }
  if (args.role == Role::sender) {
    store.join(args.cid, args.role, args.conn, args.new_token, attached(false));
    return;
  }
  // Only a receiver opens a channel: the cluster-wide caps and rates first.
  store.admit(args.cid, args.address, [this, args, done, attached](Result<redis::Admitted> admitted) {
    if (!admitted.ok() || admitted->error) {
      JoinResult result;
      result.error = admitted.ok() ? *admitted->error : Code::unavailable;
      if (result.error == Code::rate_limited) hub_.metrics().rejected(Limit::channel_rate);
      if (result.error == Code::unavailable) hub_.metrics().rejected(Limit::capacity);
      done(std::move(result));
      return;
    }
    backend_.store().join(args.cid, args.role, args.conn, args.new_token, attached(admitted->added));
  });
}

void Cluster::on_attached(JoinArgs args, bool added, Result<redis::Attached> reply,
                          std::function<void(JoinResult)> done) {
  auto& store = backend_.store();
  JoinResult result;
  if (!reply.ok()) {
    if (added) store.undo_admit(args.cid, [](auto&&) {});
    result.error = Code::unavailable;
    done(std::move(result));
    return;
  }
  auto& a = *reply;
  if (added && !a.created) store.undo_admit(args.cid, [](auto&&) {});
  result.error = a.error;
  result.intrusion_attempt = a.intrusion_attempt;
  result.expires_in = a.expires_in;
  result.peer_present = a.peer_present;
  result.resumed = a.resumed;
  result.received = a.received;
  const auto& self = node_id();
  Actions actions;
  {
    std::lock_guard lock(mutex_);
    // The script recorded the one intrusion notice; clients on this node
    // learn of it by a poll, those elsewhere were woken.
    for (const auto& [role, holder] : a.intrusion)
      if (holder.node == self) actions.push_back(Step::poll(holder.conn));
    if (!a.error) {
      if (a.replaced && a.replaced->node == self) {
        erase_locked(a.replaced->conn);
        actions.push_back(Step::end(a.replaced->conn, Code::replaced));
      }
      Attachment att;
      att.cid = args.cid;
      att.name = store.channel_name(args.cid);
      att.role = args.role;
      att.epoch = a.epoch;
      att.next_out = a.resumed ? a.received : 0;
      att.next_in = args.resume ? args.resume->received : 0;
      for (auto& frame : a.backlog) {
        if (frame.index < att.next_in) continue;
        att.next_in = frame.index + 1;
        result.backlog.push_back({args.conn, peer_of(args.role), frame.index, std::move(frame.frame)});
      }
      att.peer_epoch = a.peer_epoch;
      att.peer_present = a.peer_present;
      if (a.peer) att.peer_node = a.peer->node;
      att.check_at = Clock::now() + a.expires_in;
      by_name_.emplace(att.name, args.conn);
      attached_[args.conn] = std::move(att);
      if (a.peer && a.peer->node == self) actions.push_back(Step::poll(a.peer->conn));
    }
  }
  if (args.resume) hub_.metrics().resume(!result.error);
  if (a.resumed && a.ends_at > 0) store.set_open_until(args.cid, a.ends_at, true, [](auto&&) {});
  if (result.intrusion_attempt) hub_.metrics().intrusion();
  if (!a.intrusion.empty())
    hub_.logger().write(LogLevel::warn, "intrusion",
                        {{"channel", std::string_view(args.tag)}, {"conn", args.conn}, {"role", role_name(args.role)}});
  done(std::move(result));
  run(actions);
}

void Cluster::forward(const Cid& cid, Role from, ConnId conn, Frame frame) {
  std::uint64_t epoch = 0;
  std::uint64_t index = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(conn);
    if (it == attached_.end() || it->second.ended) return;  // its slot is gone; it is being closed
    epoch = it->second.epoch;
    index = it->second.next_out++;
  }
  auto size = frame ? frame->size() : 0;
  backend_.store().append(cid, from, epoch, index, frame,
                          [this, conn, size, frame](Result<redis::Appended> reply) {
                            on_appended(conn, size, frame, std::move(reply));
                          });
}

void Cluster::on_appended(ConnId conn, std::size_t size, const Frame& frame, Result<redis::Appended> reply) {
  Actions actions;
  if (!reply.ok()) {
    actions.push_back(Step::end(conn, Code::unavailable));
    run(actions);
    return;
  }
  const auto& a = *reply;
  if (a.error) {
    if (a.error == Code::replaced) {
      // Fenced: the slot was resumed on another node while this one was
      // frozen or cut off. The frame is not stored; the client has moved on.
      hub_.metrics().fenced();
      hub_.logger().write(LogLevel::warn, "fenced", {{"conn", conn}});
    }
    if (a.error == Code::too_large) hub_.metrics().rejected(Limit::channel_budget);
    actions.push_back(Step::end(conn, *a.error));
    if (a.slow_peer && a.slow_peer->node == node_id())
      actions.push_back(Step::end(a.slow_peer->conn, Code::slow_consumer));
    run(actions);
    return;
  }
  if (a.duplicate) return;
  hub_.metrics().forwarded(size);
  if (a.peer && a.peer->node == node_id()) {
    std::lock_guard lock(mutex_);
    offer_locked(a.peer->conn, a.index, frame, actions);
  }
  run(actions);
}

void Cluster::offer_locked(ConnId to, std::uint64_t index, const Frame& frame, Actions& actions) {
  auto it = attached_.find(to);
  if (it == attached_.end() || it->second.ended) return;
  auto& att = it->second;
  if (index == att.next_in) {
    ++att.next_in;
    actions.push_back(Step::deliver({to, peer_of(att.role), index, frame}));
  } else if (index > att.next_in) {
    actions.push_back(Step::poll(to));
  }
}

void Cluster::take_frames_locked(ConnId conn, Attachment& att, std::vector<redis::StoredFrame>& frames,
                                 Actions& actions) {
  for (auto& frame : frames) {
    if (frame.index < att.next_in) continue;  // already handed to the socket
    att.next_in = frame.index + 1;
    actions.push_back(Step::deliver({conn, peer_of(att.role), frame.index, std::move(frame.frame)}));
  }
}

void Cluster::delivered(Role from, std::uint64_t index, ConnId to) {
  Cid cid{};
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = attached_.find(to);
    if (it == attached_.end() || it->second.role != peer_of(from)) return;
    cid = it->second.cid;
    epoch = it->second.epoch;
  }
  backend_.store().delivered(cid, peer_of(from), epoch, index, [](auto&&) {});
}

void Cluster::leave(Role role, ConnId conn, LeaveKind kind) {
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

void Cluster::send_leave(const Cid& cid, Role role, std::uint64_t epoch, LeaveKind kind) {
  backend_.store().leave(cid, role, epoch, kind, [this, cid, kind](Result<redis::Left> left) {
    if (!left.ok() || left->error) return;  // Redis gone (the lifetime ends it), or taken over
    if (left->completed) hub_.metrics().pairing_completed();
    // A normal close ends the channel: it no longer counts against
    // --max-channels. After a drop, it counts until its grace ends it.
    if (kind == LeaveKind::normal) backend_.store().release(cid, [](auto&&) {});
    else if (left->ends_at > 0) backend_.store().set_open_until(cid, left->ends_at, false, [](auto&&) {});
    if (left->peer && left->peer->node == node_id()) poll(left->peer->conn);
  });
}

void Cluster::poll(ConnId conn) {
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
  backend_.store().poll(cid, role, epoch, from, [this, conn, epoch](Result<redis::Polled> reply) {
    on_polled(conn, epoch, std::move(reply));
  });
}

void Cluster::on_polled(ConnId conn, std::uint64_t epoch, Result<redis::Polled> reply) {
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
      if (reply->error == Code::peer_closed) actions.push_back(Step::end_by_peer(conn));
      else actions.push_back(Step::end(conn, *reply->error));
    } else {
      auto& p = *reply;
      if (p.intrusion && !att.intrusion_notified) {
        att.intrusion_notified = true;
        actions.push_back(Step::notify(conn, make_intrusion_message()));
      }
      if (p.peer_present && p.peer_epoch > att.peer_epoch)
        actions.push_back(Step::notify(conn, make_peer_message(att.peer_epoch == 0 ? PeerEvent::joined : PeerEvent::back)));
      take_frames_locked(conn, att, p.frames, actions);
      if (!p.peer_present && att.peer_present) actions.push_back(Step::notify(conn, make_peer_message(PeerEvent::left)));
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

void Cluster::sweep(TimePoint now) {
  std::vector<ConnId> due;
  {
    std::lock_guard lock(mutex_);
    for (auto& [conn, att] : attached_) {
      if (att.ended || att.check_at > now) continue;
      att.check_at = TimePoint::max();  // set again by the poll's reply
      due.push_back(conn);
    }
  }
  for (auto conn : due) poll(conn);
}

void Cluster::erase_locked(ConnId conn) {
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

void Cluster::run(Actions& actions) {
  for (auto& step : actions) {
    if (step.kind == Kind::poll) {
      poll(step.conn);
      continue;
    }
    auto endpoint = hub_.find(step.conn);
    if (!endpoint) continue;
    switch (step.kind) {
      case Kind::notify: endpoint->notify(std::move(step.text)); break;
      case Kind::deliver: endpoint->deliver(std::move(step.delivery)); break;
      case Kind::end: endpoint->end(step.code); break;
      case Kind::end_by_peer: endpoint->end_by_peer(); break;
      case Kind::poll: break;
    }
  }
}

}  // namespace qrlogin::relay
