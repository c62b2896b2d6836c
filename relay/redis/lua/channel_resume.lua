-- resume: a client presents its slot's token and `received` (the peer's
-- frames it has). The token is spent whatever follows; a match attaches
-- the slot with a new epoch, so the node that held it can no longer write.
-- ARGV[4] role  ARGV[5] conn  ARGV[6] presented token hash  ARGV[7] received
-- ARGV[8] the next token's hash
-- A code request (kind=code) also has KEYS[6] <p>:{global}:codebudget,
-- ARGV[9] 'code' and ARGV[10] --max-code-lookups (code_lookups.lua).
-- Replies: ok, expired (intrusion_attempt=1 for a wrong token on a QR
-- code's channel; `lookup` for a refused token on a code channel or by a
-- code request), taken (a receiver's resume of the other kind), bad_request.
local role, conn, presented, received, token = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
local bad = check_role(role)
if bad then return bad end
if received == nil or received < 0 then return redis.error_reply('ERR qrlogin: bad received') end
local now = now_ms()
local code = ARGV[9] == 'code'
local BUDGET, BUDGET_RATE = nil, 0
if code then BUDGET, BUDGET_RATE = KEYS[6], tonumber(ARGV[10]) end
local function refused_token(status)
  return looked(status, 'refused_token', BUDGET, BUDGET_RATE, now)
end
-- Ended, or never was: nobody to warn.
local function gone()
  if code then return refused_token('expired') end
  return { 'expired' }
end
local c = load()
if not c then return gone() end
if (c.closed or '') ~= '' then return gone() end
if over(c, now) then
  end_channel(c, 'expired')
  return gone()
end
if c.kind ~= ARGV[9] then
  -- A resume of the other kind: as a refused token, never an intrusion.
  return refused_token(role == 'r' and 'taken' or 'expired')
end
if not same_secret(c[role .. '_tok'] or '', presented) then
  if code then return refused_token('expired') end
  local targets = intrude(c)
  return { 'expired', 'intrusion_attempt', 1, 'intrusion', targets }
end
store(c, role .. '_tok', '')  -- single use
local peer = peer_of(role)
if received > num(c, peer .. '_next') then return { 'bad_request' } end
-- Frames it missed were dropped under the byte budget: exactly once is no
-- longer possible. The slot stays as it is; grace ends the channel.
if received < num(c, peer .. '_first') then return { 'expired' } end

local out = { 'ok' }
local old_node, old_conn = c[role .. '_node'] or '', c[role .. '_conn'] or ''
if old_node ~= '' and (old_node ~= NODE or old_conn ~= conn) then
  out[#out + 1] = 'replaced_node'
  out[#out + 1] = old_node
  out[#out + 1] = 'replaced_conn'
  out[#out + 1] = old_conn
end
local epoch = num(c, role .. '_epoch') + 1
store(c, role .. '_epoch', epoch, role .. '_node', NODE, role .. '_conn', conn, role .. '_grace', 0,
  role .. '_tok', token, role .. '_slow', 0)
-- `received=N` confirms the peer's frames below N; the rest comes again.
trim(c, peer, received)
local sent = math.min(num(c, peer .. '_sent'), received)
store(c, peer .. '_sent', sent)
wake(c, peer)
wake_node(old_node)
-- It counts against --max-channels until the channel's end again.
redis.call('ZADD', OPEN, 'XX', 'GT', num(c, 'exp'), NAME)
for _, v in ipairs({ 'epoch', epoch, 'expires_in', num(c, 'exp') - now,
                    'received', num(c, role .. '_next'), 'peer_grace_in', peer_grace_in(c, role, now) }) do
  out[#out + 1] = v
end
peer_fields(out, c, role)
out[#out + 1] = 'frames'
out[#out + 1] = frames_from(c, peer, received)
return out
