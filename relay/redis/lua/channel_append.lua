-- append: the frame with index ARGV[6] from `role`'s client, as attach
-- ARGV[5] (the epoch), at the end of its list. Idempotent: an
-- index already stored (a retry after a lost reply) answers ok, duplicate.
-- The frame also confirms the peer's frames its socket took (ARGV[8]):
-- they go first when the channel needs room.
-- ARGV[4] role  ARGV[5] epoch  ARGV[6] index  ARGV[7] the frame's bytes
-- ARGV[8] how many of the peer's frames the client's socket has taken
-- Replies: ok, expired, stale (fenced), evicted (see not_current), too_large (slow_node/slow_conn: a
-- connected peer that did not read), bad_request (an index gap).
local role, epoch, index, frame, taken = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local bad = check_role(role)
if bad then return bad end
local now = now_ms()
local peer = peer_of(role)
local c = load()
if not c then return { 'expired' } end
if (c.closed or '') ~= '' then return { 'closed' } end
if over(c, now) then
  end_channel(c, 'expired')
  return { 'expired' }
end
if not current(c, role, epoch) then return not_current(c, role, epoch) end
local next_index = num(c, role .. '_next')
if index < next_index then return { 'ok', 'index', index, 'duplicate', 1 } end
if index > next_index then return { 'bad_request' } end
if taken > num(c, peer .. '_sent') and taken <= num(c, peer .. '_next') then
  store(c, peer .. '_sent', taken)
end
local size = #frame
if size > num(c, 'lim_frame') or num(c, 'frames') >= num(c, 'lim_frames') then return { 'too_large' } end
if num(c, 'bytes') + size > num(c, 'lim_bytes') then
  -- Frames the peers confirmed go first: they are kept only in case a
  -- socket dropped them.
  for _, r in ipairs(ROLES) do trim(c, r, num(c, r .. '_sent')) end
end
if num(c, 'bytes') + size > num(c, 'lim_bytes') then
  -- What is buffered is what the peer has not taken: it is the slow one.
  if connected(c, peer) then
    store(c, peer .. '_slow', c[peer .. '_epoch'])
    wake(c, peer)
  end
  local node, conn = '', ''
  if connected(c, peer) then node, conn = c[peer .. '_node'], c[peer .. '_conn'] end
  return { 'too_large', 'slow_node', node, 'slow_conn', conn }
end
if redis.call('RPUSH', FRAMES[role], frame) == 1 then keep(c, FRAMES[role]) end  -- a new list: it expires with the channel
store(c, role .. '_next', next_index + 1, 'frames', num(c, 'frames') + 1, 'bytes', num(c, 'bytes') + size)
if size <= WAKE_FRAME_BYTES then
  wake_with(c, peer, 'f|' .. role .. '|' .. epoch .. '|' .. index .. '|' .. frame)
else
  wake(c, peer)
end
local out = { 'ok', 'index', index, 'duplicate', 0 }
peer_fields(out, c, role)
return out
