-- admit: may a receiver open a new channel? The cluster-wide caps and rates,
-- all under one hash tag ({global}) so this is one atomic script even on
-- Redis Cluster (a hot slot, but touched only when a channel is created).
-- KEYS[1] <p>:{global}:open  zset: channel name -> its end (lifetime)
-- KEYS[2] <p>:{global}:cids  zset: channel name -> when it may be forgotten
-- KEYS[3] <p>:{global}:rate  hash: the global token bucket
-- KEYS[4] <p>:{global}:a:<address hash>  hash: the address's token bucket
-- ARGV[1] channel name  ARGV[2] lifetime ms  ARGV[3] grace ms
-- ARGV[4] max channels  ARGV[5] max remembered cids
-- ARGV[6] rate per address  ARGV[7] burst per address
-- ARGV[8] global rate  ARGV[9] global burst
-- Replies: ok (added=1: this call counted the channel; undo it if the join
-- does not create it), unavailable, rate_limited.
local OPEN, CIDS, GLOBAL, ADDRESS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name = ARGV[1]
local lifetime, grace = tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

redis.call('ZREMRANGEBYSCORE', OPEN, '-inf', now)
redis.call('ZREMRANGEBYSCORE', CIDS, '-inf', now)
-- Known already (open, or used): the join decides (channel_full or
-- expired); nothing is counted or taken twice.
if redis.call('ZSCORE', CIDS, name) then return { 'ok', 'added', 0 } end
if redis.call('ZCARD', OPEN) >= tonumber(ARGV[4]) then return { 'unavailable' } end
if redis.call('ZCARD', CIDS) >= tonumber(ARGV[5]) then return { 'unavailable' } end

-- A token bucket in a hash (t: tokens, at: ms); it expires once full again,
-- so an idle address costs nothing.
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
if not take(ADDRESS, tonumber(ARGV[6]), tonumber(ARGV[7])) then return { 'rate_limited' } end
if not take(GLOBAL, tonumber(ARGV[8]), tonumber(ARGV[9])) then return { 'rate_limited' } end
redis.call('ZADD', OPEN, now + lifetime, name)
-- The latest the cid can be forgotten: it ends at most at its lifetime and
-- is remembered for lifetime + grace after that.
redis.call('ZADD', CIDS, now + lifetime + lifetime + grace, name)
-- No score lies beyond that, so the sets go when the cluster is idle.
redis.call('PEXPIRE', OPEN, lifetime + lifetime + grace)
redis.call('PEXPIRE', CIDS, lifetime + lifetime + grace)
return { 'ok', 'added', 1 }
