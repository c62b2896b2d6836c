-- Prepended to every channel script (relay/redis/lua/channel_*.lua) at build
-- time. The layout is documented in docs/deploy.md ("Redis key layout").
--
-- KEYS[1]  <p>:{<h>}:ch    hash: the channel, its two slots ("r_", "s_")
-- KEYS[2]  <p>:{<h>}:used  string: the cid was opened ("open"), or how its
--                          channel ended ("closed", "expired")
-- KEYS[3]  <p>:{<h>}:fr    stream: frames the receiver sent, id <index>-1
-- KEYS[4]  <p>:{<h>}:fs    stream: frames the sender sent, id <index>-1
-- KEYS[5]  <p>:{global}:open  zset: open channels (name -> when it ends), the
--                          --max-channels count (see channel_join.lua)
-- ARGV[1]  <h>, the channel's name (a keyed hash of the cid, never the cid)
-- ARGV[2]  the wake-up channel prefix, "<p>:wake:"
-- ARGV[3]  the calling node's id
--
-- Every time is Redis's (TIME), so nodes with skewed clocks agree. Every
-- reply is a flat array: a status, then name/value pairs.
local CH, USED = KEYS[1], KEYS[2]
local FRAMES = { r = KEYS[3], s = KEYS[4] }
local OPEN = KEYS[5]
local NAME, WAKE, NODE = ARGV[1], ARGV[2], ARGV[3]
local ROLES = { 'r', 's' }

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function peer_of(role)
  if role == 'r' then return 's' end
  return 'r'
end

local function check_role(role)
  if role ~= 'r' and role ~= 's' then return redis.error_reply('ERR qrlogin: role must be r or s') end
  return nil
end

-- The channel hash as a table (nil when there is none). The hash is
-- small (27 fields): HMGET of only the fields a script uses measured no
-- cheaper than reading it whole.
local function load()
  local flat = redis.call('HGETALL', CH)
  if #flat == 0 then return nil end
  local c = {}
  for i = 1, #flat, 2 do c[flat[i]] = flat[i + 1] end
  return c
end

local function num(c, field)
  return tonumber(c[field] or '0') or 0
end

-- Constant-time comparison of two token hashes (both 32 bytes when set).
local function same_secret(a, b)
  if #a ~= #b or #a == 0 then return false end
  local diff = 0
  for i = 1, #a do diff = bit.bor(diff, bit.bxor(string.byte(a, i), string.byte(b, i))) end
  return diff == 0
end

local function connected(c, role)
  return (c[role .. '_node'] or '') ~= ''
end

-- Past its lifetime, or a dropped client's grace ran out.
local function over(c, now)
  if now >= num(c, 'exp') then return true end
  for _, role in ipairs(ROLES) do
    local grace_end = num(c, role .. '_grace')
    if not connected(c, role) and grace_end > 0 and now >= grace_end then return true end
  end
  return false
end

-- Ends the channel: its keys go, the cid stays used for lifetime + grace.
-- The nodes of its connected clients (this one too: the reply is for the
-- caller only) are woken, so each client hears the end at once, whichever
-- operation found the channel over.
local function end_channel(c, reason)
  local mem, nodes = num(c, 'mem'), { c.r_node, c.s_node }  -- read before the hash goes
  redis.call('DEL', CH, FRAMES.r, FRAMES.s)
  redis.call('ZREM', OPEN, NAME)
  redis.call('SET', USED, reason, 'PX', mem)
  for _, node in ipairs(nodes) do
    if node ~= nil and node ~= '' then redis.call('PUBLISH', WAKE .. node, NAME) end
  end
end

-- Wakes the node that holds `role`'s socket (not the caller: it has the
-- reply). The message carries only the channel's name; the node then polls.
local function wake_node(node)
  if node ~= nil and node ~= '' and node ~= NODE then redis.call('PUBLISH', WAKE .. node, NAME) end
end
local function wake(c, role)
  wake_node(c[role .. '_node'])
end

-- A wake-up that carries the news, so the woken node need not poll:
-- '<name>|<news>', where news is one of
--   j|<role>|<epoch>|<node>        <role> joined (the first attach)
--   f|<role>|<epoch>|<index>|<frame bytes>   a frame of <role> (small ones)
--   c|<role>|<next>                <role> closed normally after <next> frames
-- A node that cannot use it (it missed something before) polls instead.
local function wake_with(c, role, news)
  local node = c[role .. '_node']
  if node ~= nil and node ~= '' and node ~= NODE then redis.call('PUBLISH', WAKE .. node, NAME .. '|' .. news) end
end
-- Frames up to this size ride in their wake-up; larger ones are polled.
local WAKE_FRAME_BYTES = 4096

-- Every key of a live channel expires with it (+ grace): XADD creates a
-- stream without a TTL, so the write that creates one sets it.
local function keep(c, key)
  redis.call('PEXPIREAT', key, num(c, 'exp') + num(c, 'grace'))
end

-- Drops `role`'s frames below index `upto` (confirmed by the peer, or
-- taken by its socket and needed for room). Updates c and the hash.
local function trim(c, role, upto)
  local first = num(c, role .. '_first')
  if upto <= first then return end
  local freed = 0
  for _, entry in ipairs(redis.call('XRANGE', FRAMES[role], '-', (upto - 1) .. '-1')) do
    freed = freed + #entry[2][2]
  end
  redis.call('XTRIM', FRAMES[role], 'MINID', upto .. '-0')
  local sent = math.max(num(c, role .. '_sent'), upto)
  c[role .. '_first'] = upto
  c[role .. '_sent'] = sent
  c.bytes = num(c, 'bytes') - freed
  redis.call('HSET', CH, role .. '_first', upto, role .. '_sent', sent, 'bytes', c.bytes)
end

-- `role`'s frames from index `from` on, flattened: index, bytes, index, ...
local function frames_from(role, from)
  local out = {}
  for _, entry in ipairs(redis.call('XRANGE', FRAMES[role], from .. '-0', '+')) do
    out[#out + 1] = tonumber(string.match(entry[1], '^(%d+)-'))
    out[#out + 1] = entry[2][2]
  end
  return out
end

-- The one intrusion notice of a channel goes to the clients connected now:
-- recorded as "role:epoch,..." so each node notifies exactly its own, and a
-- client that attaches later (a new epoch) is not notified. Returns the
-- targets (role, node, conn, ...) for the caller to notify its own.
local function intrude(c)
  if (c.intr or '') ~= '' then return {} end
  local list, targets = {}, {}
  for _, role in ipairs(ROLES) do
    if connected(c, role) then
      list[#list + 1] = role .. ':' .. c[role .. '_epoch']
      targets[#targets + 1] = role
      targets[#targets + 1] = c[role .. '_node']
      targets[#targets + 1] = c[role .. '_conn']
    end
  end
  c.intr = (#list > 0) and table.concat(list, ',') or '-'
  redis.call('HSET', CH, 'intr', c.intr)
  wake(c, 'r')
  wake(c, 's')
  return targets
end

-- The caller's attach to `role` is the slot's current one (fencing): a
-- node whose client was taken over elsewhere gets 'stale' for every write.
local function current(c, role, epoch)
  return num(c, role .. '_epoch') == epoch and c[role .. '_node'] == NODE
end

-- Why the caller's attach is not current: 'evicted' when nobody took the
-- slot over but it was dropped for this node (its liveness key lapsed while
-- it stalled): the client's token still resumes it, so the node tells its
-- client to resume, never that it was replaced. 'stale' otherwise.
local function not_current(c, role, epoch)
  if num(c, role .. '_epoch') == epoch and (c[role .. '_node'] or '') == '' then return { 'evicted' } end
  return { 'stale' }
end

-- A dropped peer's grace ends in this long (0: connected, or never dropped).
local function peer_grace_in(c, role, now)
  local peer = peer_of(role)
  local grace_end = num(c, peer .. '_grace')
  if connected(c, peer) or grace_end <= 0 then return 0 end
  return math.max(0, grace_end - now)
end

local function peer_fields(out, c, role)
  local peer = peer_of(role)
  out[#out + 1] = 'peer_present'
  out[#out + 1] = connected(c, peer) and 1 or 0
  out[#out + 1] = 'peer_node'
  out[#out + 1] = c[peer .. '_node'] or ''
  out[#out + 1] = 'peer_conn'
  out[#out + 1] = c[peer .. '_conn'] or ''
  out[#out + 1] = 'peer_epoch'
  out[#out + 1] = num(c, peer .. '_epoch')
end
