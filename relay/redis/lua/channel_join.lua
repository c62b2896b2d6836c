-- join: a client without a resume token attaches to a slot. A receiver
-- that opens a new channel passes its admission first, in this function: the
-- cluster-wide caps and rates (KEYS[5..8], all under {global}).
-- KEYS[6] <p>:{global}:cids  zset: channel name -> when it may be forgotten
-- KEYS[7] <p>:{global}:rate  hash: the global token bucket
-- KEYS[8] <p>:{global}:a:<address hash>  hash: the address's token bucket
-- (KEYS[6..8] only with role 'r'). On Redis Cluster {global} is another
-- slot than the channel's: admission would have to be a function of its own
-- again (see docs/deploy.md).
-- ARGV[4] role ('r' opens the channel, 's' joins it)  ARGV[5] conn
-- ARGV[6] the hash of the token `joined` hands out (32 bytes)
-- ARGV[7] lifetime ms  ARGV[8] grace ms  ARGV[9] max frame bytes
-- ARGV[10] max frames per channel  ARGV[11] max channel bytes
-- ARGV[12] max channels  ARGV[13] max remembered cids
-- ARGV[14] rate per address  ARGV[15] burst per address
-- ARGV[16] global rate  ARGV[17] global burst  (ARGV[12..17]: role 'r')
-- A code request (kind=code, either role) also has KEYS[6..8], ARGV[12..17]
-- and: KEYS[9] <p>:{global}:codebudget  hash: the lookup budget
-- (code_lookups.lua)  KEYS[10] <p>:{global}:code  zset: code channels ->
-- the end of their lifetime (--max-code-channels)  ARGV[18] 'code'
-- ARGV[19] --max-code-lookups  ARGV[20] --max-code-channels
-- (ARGV[7] is then the code lifetime).
-- Replies: ok (created=1 when the receiver opened it), expired,
-- channel_full (with the intrusion targets), unavailable (a cap; `limit`
-- when a code cap), rate_limited, taken (code channels); `lookup` names
-- what a code channel lookup found.
local role, conn, token = ARGV[4], ARGV[5], ARGV[6]
local bad = check_role(role)
if bad then return bad end
local now = now_ms()
local peer = peer_of(role)
local code = ARGV[18] == 'code'
local BUDGET, BUDGET_RATE = nil, 0
if code then BUDGET, BUDGET_RATE = KEYS[9], tonumber(ARGV[19]) end
local function lookup(status, result)
  return looked(status, result, BUDGET, BUDGET_RATE, now)
end
-- The cid is remembered, or was never opened: a code receiver draws another
-- code; a sender's miss is one answer for all.
local function not_open()
  if role == 'r' and code then return lookup('taken', 'taken') end
  if role == 's' and code then return lookup('expired', 'miss') end
  return { 'expired' }
end
local c = load()
if c and (c.closed or '') ~= '' then return not_open() end
if c and over(c, now) then
  end_channel(c, 'expired')
  return not_open()
end

-- May a receiver open a new channel? Caps first, then the address's and
-- the global token buckets; an expired entry no longer counts.
local function admit(lifetime, grace)
  local CIDS, GLOBAL, ADDRESS = KEYS[6], KEYS[7], KEYS[8]
  redis.call('ZREMRANGEBYSCORE', OPEN, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', CIDS, '-inf', now)
  if redis.call('ZCARD', OPEN) >= tonumber(ARGV[12]) then return 'unavailable' end
  if redis.call('ZCARD', CIDS) >= tonumber(ARGV[13]) then return 'unavailable' end
  -- A token bucket in a hash (t: tokens, at: ms); it expires once full
  -- again, so an idle address costs nothing.
  local function take(key, rate, burst)
    burst = math.max(burst, 1)
    local state = redis.call('HMGET', key, 't', 'at')
    local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
    if now > at then
      tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
      at = now
    end
    if tokens < 1 then return false end
    tokens = tokens - 1
    redis.call('HSET', key, 't', tokens, 'at', at)
    local refill_ms = 86400000
    if rate > 0 then refill_ms = math.min(refill_ms, math.ceil((burst - tokens) / rate * 1000) + 1000) end
    redis.call('PEXPIRE', key, refill_ms)
    return true
  end
  if not take(ADDRESS, tonumber(ARGV[14]), tonumber(ARGV[15])) then return 'rate_limited' end
  if not take(GLOBAL, tonumber(ARGV[16]), tonumber(ARGV[17])) then return 'rate_limited' end
  redis.call('ZADD', OPEN, now + lifetime, NAME)
  -- The latest the cid can be forgotten: it ends at most at its lifetime
  -- and is remembered for lifetime + grace after that.
  redis.call('ZADD', CIDS, now + lifetime + lifetime + grace, NAME)
  -- No score lies beyond that, so the sets go when the cluster is idle.
  redis.call('PEXPIRE', OPEN, lifetime + lifetime + grace)
  redis.call('PEXPIRE', CIDS, lifetime + lifetime + grace)
  return nil
end

if not c then
  -- Only a receiver opens a channel, and a cid only once: one answer for
  -- never opened, expired and used.
  if role == 's' or redis.call('EXISTS', USED) == 1 then return not_open() end
  local lifetime, grace = tonumber(ARGV[7]), tonumber(ARGV[8])
  if code then
    -- While the lookup budget is spent, or the deployment holds its cap of
    -- code channels (counted until each one's lifetime ends), no new one.
    if code_budget(BUDGET, BUDGET_RATE, now) < 1 then return { 'unavailable', 'limit', 'code_lookup_budget' } end
    redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', now)
    if redis.call('ZCARD', KEYS[10]) >= tonumber(ARGV[20]) then return { 'unavailable', 'limit', 'code_channels' } end
  end
  local refused = admit(lifetime, grace)
  if refused then return { refused } end
  if code then
    redis.call('ZADD', KEYS[10], now + lifetime, NAME)
    redis.call('PEXPIRE', KEYS[10], lifetime)
  end
  local exp = now + lifetime
  -- Every field not set here starts at 0 or empty.
  store({}, 'exp', exp, 'grace', grace, 'mem', lifetime + grace,
    'lim_frame', tonumber(ARGV[9]), 'lim_frames', tonumber(ARGV[10]), 'lim_bytes', tonumber(ARGV[11]),
    'r_epoch', 1, 'r_node', NODE, 'r_conn', conn, 'r_tok', token, 'kind', code and 'code' or '')
  redis.call('PEXPIREAT', CH, exp + grace)
  -- Remembered until lifetime + grace after the channel's latest end.
  redis.call('SET', USED, 'open', 'PX', lifetime + lifetime + grace)
  return { 'ok', 'created', 1, 'epoch', 1, 'expires_in', lifetime, 'peer_present', 0, 'peer_node', '',
           'peer_conn', '', 'received', 0 }
end

local hit = false
if code or c.kind == 'code' then
  -- Code channels, and requests of the other kind: a nameplate is public,
  -- so no answer here ends or warns anyone's pairing (no intrusion).
  if role == 'r' then return lookup('taken', 'taken') end
  if c.kind ~= ARGV[18] then
    if code then return lookup('expired', 'miss') end
    return { 'expired' }
  end
  if num(c, 's_epoch') > 0 then return lookup('channel_full', 'full') end
  lookup('ok', 'hit')
  hit = true
end

if num(c, role .. '_epoch') > 0 then
  -- The slot is (or was) taken: someone else has the QR code.
  local targets = intrude(c)
  return { 'channel_full', 'intrusion', targets }
end

store(c, role .. '_epoch', 1, role .. '_node', NODE, role .. '_conn', conn, role .. '_grace', 0,
  role .. '_tok', token, role .. '_slow', 0)
wake_with(c, peer, 'j|' .. role .. '|1|' .. NODE)
local out = { 'ok', 'created', 0, 'epoch', 1, 'expires_in', num(c, 'exp') - now, 'received', 0,
              'peer_grace_in', peer_grace_in(c, role, now) }
peer_fields(out, c, role)
if hit then
  out[#out + 1] = 'lookup'
  out[#out + 1] = 'hit'
end
out[#out + 1] = 'frames'
out[#out + 1] = frames_from(c, peer, num(c, peer .. '_first'))
return out
