-- poll: what a node needs after a wake-up (or on its timer) for its client
-- in `role` (attach ARGV[5]): the channel's state and the peer's frames
-- from index ARGV[6] on (-1: none). Also ends a channel whose lifetime or
-- grace is over. State, not events: a lost wake-up loses nothing.
-- Replies: ok, closed (the peer closed normally), expired, stale (this
-- attach was taken over: `replaced`), evicted (dropped while this node
-- stalled: the client resumes), slow (the peer overran this client:
-- `slow_consumer`).
local role, epoch, from = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local bad = check_role(role)
if bad then return bad end
local now = now_ms()
local c = load()
if not c then
  if redis.call('GET', USED) == 'closed' then return { 'closed' } end
  return { 'expired' }
end
if (c.closed or '') ~= '' then
  -- The peer closed normally: its last frames, then `closed`.
  if not current(c, role, epoch) then return not_current(c, role, epoch) end
  local out = { 'closed' }
  if from >= 0 then
    out[#out + 1] = 'frames'
    out[#out + 1] = frames_from(c, peer_of(role), from)
  end
  return out
end
if over(c, now) then
  end_channel(c, 'expired')
  return { 'expired' }
end
if not current(c, role, epoch) then return not_current(c, role, epoch) end
if num(c, role .. '_slow') == epoch then return { 'slow' } end
local peer = peer_of(role)
local notified = string.find(',' .. (c.intr or '') .. ',', ',' .. role .. ':' .. epoch .. ',', 1, true) ~= nil
local out = { 'ok', 'expires_in', num(c, 'exp') - now,
              'peer_grace_in', peer_grace_in(c, role, now), 'intrusion', notified and 1 or 0,
              'received', num(c, role .. '_next'), 'peer_first', num(c, peer .. '_first'),
              'peer_next', num(c, peer .. '_next') }
peer_fields(out, c, role)
if from >= 0 then
  out[#out + 1] = 'frames'
  out[#out + 1] = frames_from(c, peer, from)
end
return out
