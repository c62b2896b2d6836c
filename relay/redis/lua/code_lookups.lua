-- Part of the library's top (after channel_common), for join and resume:
-- what a code channel lookup costs (docs/relay.md, "Code channels").
-- The deployment's lookup budget is a token bucket in a hash (t: tokens,
-- at: ms) at --max-code-lookups a second holding one second's worth; a
-- lookup spends a token when there is one, and while there is none new
-- code channels are refused. The per-address limits are each node's.

-- The budget's tokens now (nothing is written).
local function code_budget(key, rate, now)
  local burst = math.max(rate, 1)
  local state = redis.call('HMGET', key, 't', 'at')
  local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
  if now > at then
    tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
    at = now
  end
  return tokens, at, burst
end

-- A reply for a lookup: `status`, and what it found; a code request's
-- lookup spends from the budget (a request of the other kind is counted
-- only per address, by its node).
local function looked(status, result, budget_key, rate, now)
  if budget_key ~= nil then
    local tokens, at, burst = code_budget(budget_key, rate, now)
    tokens = math.max(0, tokens - 1)
    redis.call('HSET', budget_key, 't', tokens, 'at', at)
    local refill_ms = 86400000
    if rate > 0 then refill_ms = math.min(refill_ms, math.ceil((burst - tokens) / rate * 1000) + 1000) end
    redis.call('PEXPIRE', budget_key, refill_ms)
  end
  return { status, 'lookup', result }
end
