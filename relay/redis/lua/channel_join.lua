-- join: a client without a resume token attaches to a slot.
-- ARGV[4] role ('r' opens the channel, 's' joins it)  ARGV[5] conn
-- ARGV[6] the hash of the token `joined` hands out (32 bytes)
-- ARGV[7] lifetime ms  ARGV[8] grace ms  ARGV[9] max frame bytes
-- ARGV[10] max frames per channel  ARGV[11] max channel bytes
-- Replies: ok (created=1 when the receiver opened it), expired,
-- channel_full (with the intrusion targets).
local role, conn, token = ARGV[4], ARGV[5], ARGV[6]
local bad = check_role(role)
if bad then return bad end
local now = now_ms()
local c = load()
if c and (c.closed or '') ~= '' then return { 'expired' } end
if c and over(c, now) then
  end_channel(c, 'expired')
  return { 'expired' }
end

if not c then
  -- Only a receiver opens a channel, and a cid only once: one answer for
  -- never opened, expired and used.
  if role == 's' or redis.call('EXISTS', USED) == 1 then return { 'expired' } end
  local lifetime, grace = tonumber(ARGV[7]), tonumber(ARGV[8])
  local exp = now + lifetime
  redis.call('HSET', CH,
    'exp', exp, 'grace', grace, 'mem', lifetime + grace,
    'lim_frame', ARGV[9], 'lim_frames', ARGV[10], 'lim_bytes', ARGV[11],
    'frames', 0, 'bytes', 0, 'intr', '',
    'r_epoch', 1, 'r_node', NODE, 'r_conn', conn, 'r_grace', 0, 'r_tok', token,
    'r_next', 0, 'r_first', 0, 'r_sent', 0, 'r_slow', 0,
    's_epoch', 0, 's_node', '', 's_conn', '', 's_grace', 0, 's_tok', '',
    's_next', 0, 's_first', 0, 's_sent', 0, 's_slow', 0)
  redis.call('PEXPIREAT', CH, exp + grace)
  -- Remembered until lifetime + grace after the channel's latest end.
  redis.call('SET', USED, 'open', 'PX', lifetime + lifetime + grace)
  return { 'ok', 'created', 1, 'epoch', 1, 'expires_in', lifetime, 'peer_present', 0, 'peer_node', '',
           'peer_conn', '', 'received', 0 }
end

if num(c, role .. '_epoch') > 0 then
  -- The slot is (or was) taken: someone else has the QR code.
  local targets = intrude(c)
  return { 'channel_full', 'intrusion', targets }
end

local peer = peer_of(role)
redis.call('HSET', CH, role .. '_epoch', 1, role .. '_node', NODE, role .. '_conn', conn, role .. '_grace', 0,
  role .. '_tok', token, role .. '_slow', 0)
wake_with(c, peer, 'j|' .. role .. '|1|' .. NODE)
local out = { 'ok', 'created', 0, 'epoch', 1, 'expires_in', num(c, 'exp') - now, 'received', 0,
              'peer_grace_in', peer_grace_in(c, role, now) }
peer_fields(out, c, role)
out[#out + 1] = 'frames'
out[#out + 1] = frames_from(peer, num(c, peer .. '_first'))
return out
