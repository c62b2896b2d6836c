-- delivered: the socket of `role`'s client (attach ARGV[5]) took the peer's
-- frames up to index ARGV[6]. They stay (for a resume) but are the first to
-- go when the channel needs room.
-- Replies: ok, expired, stale, evicted.
local role, epoch, index = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local bad = check_role(role)
if bad then return bad end
local c = load()
if not c then return { 'expired' } end
if not current(c, role, epoch) then return not_current(c, role, epoch) end
local peer = peer_of(role)
if index < num(c, peer .. '_next') and index + 1 > num(c, peer .. '_sent') then
  redis.call('HSET', CH, peer .. '_sent', index + 1)
end
return { 'ok' }
