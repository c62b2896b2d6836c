-- leave: `role`'s client (attach ARGV[5]) went away. 'normal' (close 1000)
-- ends the channel at once; 'abnormal' keeps the slot for the grace period
-- (never past the lifetime).
-- Replies: ok (completed=1 when a normal close ended a channel both roles
-- had joined), stale (someone else holds the slot now: nothing changes).
local role, epoch, kind = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local bad = check_role(role)
if bad then return bad end
if kind ~= 'normal' and kind ~= 'abnormal' then return redis.error_reply('ERR qrlogin: bad leave kind') end
local now = now_ms()
local c = load()
if not c then return { 'ok', 'completed', 0 } end
if not current(c, role, epoch) then return { 'stale' } end
local peer = peer_of(role)
local out = { 'ok' }
peer_fields(out, c, role)
wake(c, peer)
if kind == 'normal' then
  local completed = num(c, 'r_epoch') > 0 and num(c, 's_epoch') > 0
  end_channel(c, 'closed')
  out[#out + 1] = 'completed'
  out[#out + 1] = completed and 1 or 0
  return out
end
redis.call('HSET', CH, role .. '_node', '', role .. '_conn', '',
  role .. '_grace', math.min(num(c, 'exp'), now + num(c, 'grace')))
out[#out + 1] = 'completed'
out[#out + 1] = 0
return out
