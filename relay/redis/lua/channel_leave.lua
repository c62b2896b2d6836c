-- leave: `role`'s client (attach ARGV[5]) went away. 'normal' (close 1000)
-- ends the channel at once; 'abnormal' keeps the slot for the grace period
-- (never past the lifetime).
-- The --max-channels count ({global}:open) follows: a normal close no
-- longer counts, a dropped client's channel counts until its grace ends.
-- Replies: ok (completed=1 when a normal close ended a channel both roles
-- had joined), stale (someone else holds the slot now: nothing changes).
local role, epoch, kind = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local bad = check_role(role)
if bad then return bad end
if kind ~= 'normal' and kind ~= 'abnormal' then return redis.error_reply('ERR qrlogin: bad leave kind') end
local now = now_ms()
local c = load()
if not c then return { 'ok', 'completed', 0 } end
-- An evicted attach still owns its slot (nobody resumed it): its leave counts.
if not current(c, role, epoch) and not_current(c, role, epoch)[1] == 'stale' then return { 'stale' } end
local peer = peer_of(role)
local out = { 'ok' }
peer_fields(out, c, role)
if kind == 'normal' then
  local completed = num(c, 'r_epoch') > 0 and num(c, 's_epoch') > 0 and (c.closed or '') == ''
  if (c.closed or '') ~= '' or not connected(c, peer) then
    -- The second to leave, or nobody left to read: the channel goes.
    end_channel(c, 'closed')
  else
    -- The peer's node may not have fetched this client's last frames yet
    -- (RESULT, then close 1000 at once): the channel stays, closed, until
    -- the peer leaves or the grace passes; its polls get those frames and
    -- then `closed`.
    wake_with(c, peer, 'c|' .. role .. '|' .. num(c, role .. '_next'))
    store(c, 'closed', role, role .. '_node', '', role .. '_conn', '')
    redis.call('SET', USED, 'closed', 'PX', num(c, 'mem'))
    redis.call('ZREM', OPEN, NAME)
    local until_ms = now + num(c, 'grace')
    for _, key in ipairs({ CH, FRAMES.r, FRAMES.s }) do redis.call('PEXPIREAT', key, until_ms) end
  end
  out[#out + 1] = 'completed'
  out[#out + 1] = completed and 1 or 0
  return out
end
wake(c, peer)
if (c.closed or '') ~= '' then
  end_channel(c, 'closed')
  out[#out + 1] = 'completed'
  out[#out + 1] = 0
  return out
end
local grace_end = math.min(num(c, 'exp'), now + num(c, 'grace'))
store(c, role .. '_node', '', role .. '_conn', '', role .. '_grace', grace_end)
-- Unless this client resumes, the channel ends by then (XX: still counted;
-- LT: never later than it was).
redis.call('ZADD', OPEN, 'XX', 'LT', grace_end, NAME)
out[#out + 1] = 'completed'
out[#out + 1] = 0
return out
