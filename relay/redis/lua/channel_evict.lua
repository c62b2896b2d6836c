-- evict: the node ARGV[5], which held `role`'s socket (ARGV[4]), is dead:
-- its liveness key (<p>:node:<id>) expired, so it will never run leave for
-- its client. The slot is dropped as if that client had left abnormally:
-- its grace starts now (never past the lifetime), and the other slot's node
-- is woken. A slot that names another node by now (its client resumed
-- elsewhere) is left alone, so a late eviction cannot undo a resume.
-- Replies: ok (evicted=1 when the slot was dropped), expired.
local role, node = ARGV[4], ARGV[5]
local bad = check_role(role)
if bad then return bad end
local c = load()
if not c then return { 'expired' } end
if node == '' or (c[role .. '_node'] or '') ~= node then return { 'ok', 'evicted', 0 } end
local now = now_ms()
store(c, role .. '_node', '', role .. '_conn', '',
  role .. '_grace', math.min(num(c, 'exp'), now + num(c, 'grace')))
wake(c, peer_of(role))
return { 'ok', 'evicted', 1 }
