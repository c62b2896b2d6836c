#include "relay/core/registry.hpp"

#include <algorithm>

#include "crypto/secret.hpp"

namespace qrlogin::relay {

std::optional<Refusal> Registry::admit_new_channel(const AddressKey& address, TimePoint now) {
  if (channels_.size() >= limits_.max_channels || buffered_bytes() >= limits_.max_buffered_bytes ||
      channels_.size() + used_.size() >= limits_.max_remembered_cids)
    return Refusal{Code::unavailable, Limit::capacity};
  return admission_.open_channel(address, now);
}

bool Registry::reserve_incoming(std::size_t bytes) noexcept {
  if (buffered_bytes() + bytes > limits_.max_buffered_bytes) return false;
  incoming_bytes_ += bytes;
  return true;
}

void Registry::release_incoming(std::size_t bytes) noexcept {
  incoming_bytes_ -= std::min(bytes, incoming_bytes_);
}

void Registry::intrude(Channel& channel, JoinResult& result) {
  result.intrusion_attempt = true;
  if (channel.intrusion_sent) return;
  channel.intrusion_sent = true;
  for (const auto& s : channel.slots)
    if (s.conn) result.intrusion.push_back(*s.conn);
}

bool Registry::over(const Channel& channel, TimePoint now) noexcept {
  if (now >= channel.expires) return true;
  for (const auto& slot : channel.slots)
    if (!slot.conn && slot.grace_end && now >= *slot.grace_end) return true;
  return false;
}

bool Registry::end_if_over(Channels::iterator it, TimePoint now, std::vector<ConnId>& expired) {
  if (!over(it->second, now)) return false;
  for (const auto& slot : it->second.slots)
    if (slot.conn) expired.push_back(*slot.conn);
  end_channel(it, now);
  return true;
}

JoinResult Registry::join(const Cid& cid, Role role, ConnId conn, const AddressKey& address, TimePoint now,
                          const std::optional<TokenHash>& new_token,
                          const std::optional<ResumeRequest>& resume, ChannelKind kind) {
  JoinResult result;
  // A code request is refused before it looks when its address, network or
  // IPv6 /32 has no lookup left. A resume is not: with the right token it is
  // no lookup, and a wrong one learns nothing (expired either way).
  if (kind == ChannelKind::code && !resume) {
    if (auto refused = admission_.check_lookup(address, now)) {
      result.error = refused->code;
      result.limit = refused->limit;
      result.lookup = LookupResult::rate_limited;
      return result;
    }
  }
  auto it = channels_.find(cid);
  if (it != channels_.end() && end_if_over(it, now, result.expired)) it = channels_.end();
  if (resume) {
    if (it == channels_.end()) {
      result.error = Code::expired;  // ended, or never was: nobody to warn
      if (kind == ChannelKind::code) looked_up(result, LookupResult::refused_token, address, kind, now);
      return result;
    }
    if (it->second.kind != kind) {
      // A resume of the other kind: as a refused token, never an intrusion.
      result.error = role == Role::receiver ? Code::taken : Code::expired;
      looked_up(result, LookupResult::refused_token, address, kind, now);
      return result;
    }
    auto resumed = resume_slot(it, role, conn, now, new_token, *resume);
    if (resumed.lookup) looked_up(resumed, *resumed.lookup, address, kind, now);
    return resumed;
  }
  if (it == channels_.end()) {
    // Only a receiver opens a channel; one answer for never opened, expired
    // and used, so the relay says nothing about which cids exist. A code
    // receiver hears `taken` for a remembered cid: it draws another code.
    if (role == Role::sender) {
      result.error = Code::expired;
      if (kind == ChannelKind::code) looked_up(result, LookupResult::miss, address, kind, now);
      return result;
    }
    if (used_.contains(cid)) {
      if (kind == ChannelKind::code) {
        result.error = Code::taken;
        looked_up(result, LookupResult::taken, address, kind, now);
      } else {
        result.error = Code::expired;
      }
      return result;
    }
    return open_channel(cid, role, conn, address, now, new_token, kind);
  }

  auto& channel = it->second;
  if (channel.kind == ChannelKind::code || kind == ChannelKind::code) {
    // Code channels (and requests of the other kind): a nameplate is public,
    // so no answer here ends or warns anyone's pairing (no intrusion).
    if (role == Role::receiver) {
      result.error = Code::taken;
      looked_up(result, LookupResult::taken, address, kind, now);
      return result;
    }
    if (channel.kind != kind) {
      result.error = Code::expired;
      if (kind == ChannelKind::code) looked_up(result, LookupResult::miss, address, kind, now);
      return result;
    }
    if (channel.slots[index_of(role)].taken) {
      result.error = Code::channel_full;
      looked_up(result, LookupResult::full, address, kind, now);
      return result;
    }
    looked_up(result, LookupResult::hit, address, kind, now);
  }
  auto& slot = channel.slots[index_of(role)];
  auto& peer = channel.slots[index_of(peer_of(role))];
  if (slot.taken) {
    result.error = Code::channel_full;
    intrude(channel, result);
    return result;
  }
  slot.conn = conn;
  slot.taken = true;
  slot.token = new_token;
  result.expires_in = std::chrono::duration_cast<Millis>(channel.expires - now);
  result.peer_present = peer.conn.has_value();
  result.notify_peer = peer.conn;
  for (auto& entry : peer.log.from(peer.log.first_index()))
    result.backlog.push_back({conn, peer_of(role), entry.index, std::move(entry.frame)});
  return result;
}

JoinResult Registry::open_channel(const Cid& cid, Role role, ConnId conn, const AddressKey& address, TimePoint now,
                                  const std::optional<TokenHash>& new_token, ChannelKind kind) {
  JoinResult result;
  bool code = kind == ChannelKind::code;
  if (code) {
    if (auto refused = code_channels_refused(now)) {
      result.error = Code::unavailable;
      result.limit = *refused;
      return result;
    }
    if (auto refused = admission_.open_code_channel(address, now)) {
      result.error = refused->code;
      result.limit = refused->limit;
      return result;
    }
  }
  if (auto refused = admit_new_channel(address, now)) {
    if (code) admission_.release_code_channel(address, now);
    result.error = refused->code;
    result.limit = refused->limit;
    return result;
  }
  Channel channel;
  channel.opener = address;
  channel.kind = kind;
  channel.expires = now + lifetime_of(kind);
  auto& slot = channel.slots[index_of(role)];
  slot.conn = conn;
  slot.taken = true;
  slot.token = new_token;
  channels_.emplace(cid, std::move(channel));
  if (code) code_opened_.push_back(now);
  result.expires_in = lifetime_of(kind);
  return result;
}

std::optional<Limit> Registry::code_channels_refused(TimePoint now) {
  if (!code_budget_.has_token(now)) return Limit::code_lookup_budget;
  while (!code_opened_.empty() && code_opened_.front() + limits_.code_lifetime <= now) code_opened_.pop_front();
  if (code_opened_.size() >= limits_.max_code_channels) return Limit::code_channels;
  return std::nullopt;
}

void Registry::looked_up(JoinResult& result, LookupResult what, const AddressKey& address, ChannelKind kind,
                         TimePoint now) {
  result.lookup = what;
  admission_.count_lookup(address, now);
  if (kind == ChannelKind::code) (void)code_budget_.try_take(now);
}

JoinResult Registry::resume_slot(Channels::iterator it, Role role, ConnId conn, TimePoint now,
                                 const std::optional<TokenHash>& new_token, const ResumeRequest& resume) {
  JoinResult result;
  auto& channel = it->second;
  auto& slot = channel.slots[index_of(role)];
  auto& peer = channel.slots[index_of(peer_of(role))];
  // The hash of the slot's one valid token, compared in constant time; a
  // wrong or already used token is someone who should not have it.
  bool match = slot.token.has_value() && ct_equal(*slot.token, resume.token);
  if (!match) {
    result.error = Code::expired;
    // A code channel's nameplate is public: a wrong token is a lookup, and
    // warns nobody (a prober must not end a pairing it cannot join).
    if (channel.kind == ChannelKind::code) result.lookup = LookupResult::refused_token;
    else intrude(channel, result);
    return result;
  }
  slot.token.reset();  // single use, whatever follows
  auto& log = peer.log;
  if (resume.received > log.next_index()) {
    result.error = Code::bad_request;  // claims frames the peer never sent
    return result;
  }
  if (resume.received < log.first_index()) {
    // Frames it missed were dropped under the byte budget: exactly once is
    // no longer possible. The slot stays empty; grace ends the channel.
    result.error = Code::expired;
    return result;
  }
  if (slot.conn && *slot.conn != conn) result.replaced = slot.conn;
  slot.conn = conn;
  slot.grace_end.reset();
  slot.token = new_token;
  // `received=N` confirms the peer's frames below N; the rest comes again.
  if (resume.received > 0) {
    auto freed = log.trim_through(resume.received - 1);
    channel.bytes -= freed;
    buffered_bytes_ -= freed;
  }
  log.rewind_sent(resume.received);
  for (auto& entry : log.from(resume.received))
    result.backlog.push_back({conn, peer_of(role), entry.index, std::move(entry.frame)});
  result.resumed = true;
  result.received = slot.log.next_index();
  result.expires_in = std::chrono::duration_cast<Millis>(channel.expires - now);
  result.peer_present = peer.conn.has_value();
  result.notify_peer = peer.conn;
  return result;
}

ForwardResult Registry::forward(const Cid& cid, Role from, ConnId conn, Frame frame, TimePoint now,
                                std::uint64_t taken) {
  ForwardResult result;
  auto it = channels_.find(cid);
  if (it == channels_.end() || it->second.slots[index_of(from)].conn != conn) {
    result.error = Code::expired;  // the channel ended while the frame was read
    return result;
  }
  if (end_if_over(it, now, result.expired)) {
    std::erase(result.expired, conn);  // the sender hears it as its error
    result.error = Code::expired;
    return result;
  }
  auto& channel = it->second;
  auto& peer = channel.slots[index_of(peer_of(from))];
  if (taken > 0) peer.log.mark_sent(taken - 1);
  if (frame->size() > limits_.max_frame_bytes || channel.frames >= limits_.max_frames_per_channel) {
    result.error = Code::too_large;
    return result;
  }
  if (channel.bytes + frame->size() > limits_.max_channel_bytes) {
    // Frames the peers confirmed go first: they are kept only in case a
    // socket dropped them.
    for (auto& s : channel.slots) {
      auto freed = s.log.evict_sent();
      channel.bytes -= freed;
      buffered_bytes_ -= freed;
    }
  }
  if (channel.bytes + frame->size() > limits_.max_channel_bytes) {
    // What is buffered is what the peer has not taken: it is the slow one.
    result.error = Code::too_large;
    result.slow_peer = peer.conn;
    return result;
  }
  auto size = frame->size();
  auto& log = channel.slots[index_of(from)].log;
  auto index = log.append(frame);
  ++channel.frames;
  channel.bytes += size;
  buffered_bytes_ += size;
  if (peer.conn) result.delivery = Delivery{*peer.conn, from, index, std::move(frame)};
  return result;
}

LeaveResult Registry::leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind, TimePoint now) {
  LeaveResult result;
  auto it = channels_.find(cid);
  if (it == channels_.end()) return result;
  auto& channel = it->second;
  auto& slot = channel.slots[index_of(role)];
  if (slot.conn != conn) return result;
  auto peer = channel.slots[index_of(peer_of(role))].conn;
  slot.conn.reset();
  if (kind == LeaveKind::normal) {
    result.peer_closed = peer;
    result.completed = channel.slots[0].taken && channel.slots[1].taken;
    end_channel(it, now);
    return result;
  }
  slot.grace_end = std::min(channel.expires, now + limits_.grace);
  result.peer_left = peer;
  return result;
}

std::vector<ConnId> Registry::expire(TimePoint now) {
  std::vector<ConnId> to_close;
  for (auto it = channels_.begin(); it != channels_.end();) {
    auto next = std::next(it);
    end_if_over(it, now, to_close);
    it = next;
  }
  forget_old_cids(now);
  return to_close;
}

std::vector<ConnId> Registry::end_all(TimePoint now) {
  std::vector<ConnId> connected;
  for (auto it = channels_.begin(); it != channels_.end();) {
    for (const auto& slot : it->second.slots)
      if (slot.conn) connected.push_back(*slot.conn);
    auto next = std::next(it);
    end_channel(it, now);
    it = next;
  }
  return connected;
}

void Registry::end_channel(Channels::iterator it, TimePoint now) {
  buffered_bytes_ -= it->second.bytes;
  admission_.release_channel(it->second.opener, now);
  if (it->second.kind == ChannelKind::code) admission_.release_code_channel(it->second.opener, now);
  // Remember the cid for lifetime + grace after its end: a channel is never
  // opened twice within that window.
  auto forget_at = now + lifetime_of(it->second.kind) + limits_.grace;
  used_.insert(it->first, forget_at);
  channels_.erase(it);
}

void Registry::forget_old_cids(TimePoint now) {
  used_.forget_through(now);
}

}  // namespace qrlogin::relay
