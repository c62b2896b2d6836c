-- The top of the channel functions' library (ChannelStore::Library in
-- relay/redis/channel_store.cpp): it runs once, when Redis loads the
-- library; each channel_<op>.lua is the body of function qrl_<hash>_<op>,
-- which starts with bind(KEYS, ARGV). The layout is documented in
-- docs/deploy.md ("Redis key layout"). Every function gets:
--
-- KEYS[1]  <p>:{<h>}:st    string: the channel, its two slots ("r_", "s_"),
--                          packed (see STATE below)
-- KEYS[2]  <p>:{<h>}:used  string: the cid was opened ("open"), or how its
--                          channel ended ("closed", "expired")
-- KEYS[3]  <p>:{<h>}:fr    list: frames the receiver sent, from index
--                          r_first on (the state holds the index range)
-- KEYS[4]  <p>:{<h>}:fs    list: frames the sender sent, from s_first on
-- KEYS[5]  <p>:{global}:open  zset: open channels (name -> when it ends), the
--                          --max-channels count (see channel_join.lua)
-- ARGV[1]  <h>, the channel's name (a keyed hash of the cid, never the cid)
-- ARGV[2]  the wake-up channel prefix, "<p>:wake:"
-- ARGV[3]  the calling node's id
--
-- Every time is Redis's (TIME), so nodes with skewed clocks agree. Every
-- reply is a flat array: a status, then name/value pairs.
local CH, USED, OPEN, NAME, WAKE, NODE
local FRAMES = {}

-- Every function of the library starts here: the keys and the arguments
-- every channel function shares.
local function bind(keys, argv)
  CH, USED, OPEN = keys[1], keys[2], keys[5]
  FRAMES.r, FRAMES.s = keys[3], keys[4]
  NAME, WAKE, NODE = argv[1], argv[2], argv[3]
end
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

-- The channel's state is one string, packed with Redis's `struct` library:
-- 20 numbers as doubles (exact below 2^53), then 9 strings, each after its
-- 16-bit length. A GET and one unpack cost a function a fraction of
-- HGETALL into a table with tonumber() of every field; a write packs the
-- whole state again, in one SET (docs/benchmarks.md, "Leaner functions").
-- The fields are spelled out, not looped over: this runs in every call.
local STATE = '<ddddddddddddddddddddHc0Hc0Hc0Hc0Hc0Hc0Hc0Hc0Hc0'

-- An empty string field reads as nil, as an absent hash field did.
local function text(v)
  if v == '' then return nil end
  return v
end

-- The channel as a table (nil when there is none).
local function load()
  local packed = redis.call('GET', CH)
  if not packed then return nil end
  local exp, grace, mem, lim_frame, lim_frames, lim_bytes, frames, bytes,
        r_epoch, r_grace, r_next, r_first, r_sent, r_slow,
        s_epoch, s_grace, s_next, s_first, s_sent, s_slow,
        intr, closed, kind, r_node, r_conn, r_tok, s_node, s_conn, s_tok = struct.unpack(STATE, packed)
  return { exp = exp, grace = grace, mem = mem, lim_frame = lim_frame, lim_frames = lim_frames,
           lim_bytes = lim_bytes, frames = frames, bytes = bytes,
           r_epoch = r_epoch, r_grace = r_grace, r_next = r_next, r_first = r_first, r_sent = r_sent,
           r_slow = r_slow, s_epoch = s_epoch, s_grace = s_grace, s_next = s_next, s_first = s_first,
           s_sent = s_sent, s_slow = s_slow, intr = text(intr), closed = text(closed), kind = text(kind),
           r_node = text(r_node), r_conn = text(r_conn), r_tok = text(r_tok),
           s_node = text(s_node), s_conn = text(s_conn), s_tok = text(s_tok) }
end

-- Sets fields of `c` (name, value, ...) and writes the whole state back;
-- the key keeps its expiry.
local function store(c, ...)
  for i = 1, select('#', ...), 2 do
    local field, value = select(i, ...)
    c[field] = value
  end
  local intr, closed, kind = c.intr or '', c.closed or '', c.kind or ''
  local r_node, r_conn, r_tok = c.r_node or '', c.r_conn or '', c.r_tok or ''
  local s_node, s_conn, s_tok = c.s_node or '', c.s_conn or '', c.s_tok or ''
  redis.call('SET', CH, struct.pack(STATE,
    c.exp or 0, c.grace or 0, c.mem or 0, c.lim_frame or 0, c.lim_frames or 0, c.lim_bytes or 0,
    c.frames or 0, c.bytes or 0,
    c.r_epoch or 0, c.r_grace or 0, c.r_next or 0, c.r_first or 0, c.r_sent or 0, c.r_slow or 0,
    c.s_epoch or 0, c.s_grace or 0, c.s_next or 0, c.s_first or 0, c.s_sent or 0, c.s_slow or 0,
    #intr, intr, #closed, closed, #kind, kind, #r_node, r_node, #r_conn, r_conn, #r_tok, r_tok,
    #s_node, s_node, #s_conn, s_conn, #s_tok, s_tok), 'KEEPTTL')
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

-- Every key of a live channel expires with it (+ grace): RPUSH creates a
-- list without a TTL (and a list trimmed empty is gone), so the push that
-- creates one sets it.
local function keep(c, key)
  redis.call('PEXPIREAT', key, num(c, 'exp') + num(c, 'grace'))
end

-- Drops `role`'s frames below index `upto` (confirmed by the peer, or
-- taken by its socket and needed for room; never past the next index).
-- Updates c and the state.
local function trim(c, role, upto)
  local first = num(c, role .. '_first')
  if upto <= first then return end
  local freed = 0
  for _, frame in ipairs(redis.call('LRANGE', FRAMES[role], 0, upto - first - 1)) do freed = freed + #frame end
  redis.call('LTRIM', FRAMES[role], upto - first, -1)
  local sent = math.max(num(c, role .. '_sent'), upto)
  store(c, role .. '_first', upto, role .. '_sent', sent, 'bytes', num(c, 'bytes') - freed)
end

-- `role`'s frames from index `from` on (those still held), flattened:
-- index, bytes, index, ...
local function frames_from(c, role, from)
  local first = num(c, role .. '_first')
  local start = math.max(from, first)
  local out = {}
  for i, frame in ipairs(redis.call('LRANGE', FRAMES[role], start - first, -1)) do
    out[#out + 1] = start + i - 1
    out[#out + 1] = frame
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
  store(c, 'intr', (#list > 0) and table.concat(list, ',') or '-')
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
