/**
 * The cross-slot steps on a cluster. A write script in a user slot leaves an
 * outbox entry (JSON, numbers as text) for its session: a stamp from the user
 * slot's counter, the session's indexed values (or live = '0' once deleted),
 * the `app:` entries not yet applied as batches tagged with their stamps, and
 * registry flags. These scripts apply it to the tenant slot and the app slot;
 * each remembers the stamp it applied per session, so applying an entry twice
 * or an older entry after a newer one changes nothing. The user slot's entry
 * is then cleared up to the applied stamp.
 */

/** Tenant slot. ARGV: the outbox entry. Moves the session's index entries to its indexed values. */
export const SYNC_TENANT = String.raw`
local tb = KEYS[1]
local rec = cjson.decode(ARGV[1])
local km = rec.a .. NUL .. rec.u .. NUL .. rec.sid
local POS = tb .. ':pos'
local raw = redis.call('HGET', POS, km)
local old, applied = nil, 0
if raw then
  local p = split_nul(raw)
  applied = tonumber(p[1])
  old = { pos = p[2], st = p[3], act = p[4], exp = p[5] }
end
if tonumber(rec.s) > applied then
  local new = nil
  if rec.live == '1' then new = { pos = rec.pos, st = rec.st, act = rec.act, exp = rec.exp } end
  sync_tenant(tb, rec.a, rec.u, rec.sid, old, new)
  if new then
    redis.call('HSET', POS, km, rec.s .. NUL .. new.pos .. NUL .. new.st .. NUL .. new.act .. NUL .. new.exp)
  else
    redis.call('HDEL', POS, km)
  end
end
if rec.ru == '1' then redis.call('ZADD', tb .. ':users', 0, rec.a .. NUL .. rec.u) end
if rec.ra == '1' then redis.call('ZADD', tb .. ':apps', 0, rec.a) end
return 1
`;

/** App slot. ARGV: the outbox entry. Applies its app-state batches not applied yet; replies the app state. */
export const APPLY_APP = String.raw`
local ab = KEYS[1]
local rec = cjson.decode(ARGV[1])
local field = rec.u .. NUL .. rec.sid
local applied = tonumber(redis.call('HGET', ab .. ':applied', field) or '0')
local batches = rec.app or {}
local any = false
for _, batch in ipairs(batches) do
  if tonumber(batch[1]) > applied then
    local flat = {}
    for i = 2, #batch do flat[i - 1] = batch[i] end
    if #flat > 0 then write_state(ab .. ':state', flat) end
    any = true
  end
end
if rec.live == '0' then
  redis.call('HDEL', ab .. ':applied', field)
elseif any then
  redis.call('HSET', ab .. ':applied', field, rec.s)
end
return redis.call('HGETALL', ab .. ':state')
`;

/** User slot. ARGV: sid, the applied stamp. Removes what was applied from the session's outbox entry. */
export const CLEAR_OUTBOX = String.raw`
local raw = redis.call('HGET', B .. ':ob', ARGV[1])
if not raw then return 0 end
local rec = cjson.decode(raw)
if rec.s == ARGV[2] then
  redis.call('HDEL', B .. ':ob', ARGV[1])
  return 1
end
local keep = {}
for _, batch in ipairs(rec.app or {}) do
  if tonumber(batch[1]) > tonumber(ARGV[2]) then keep[#keep + 1] = batch end
end
rec.app = keep
redis.call('HSET', B .. ':ob', ARGV[1], cjson.encode(rec))
return 0
`;

/**
 * User slot. ARGV: sid, tenant, app, user. The session's pending outbox entry,
 * or, when none is pending, a fresh one describing the session as it is now,
 * so that applying it repairs index entries left stale.
 */
export const RESYNC = String.raw`
local sid = ARGV[1]
local raw = redis.call('HGET', B .. ':ob', sid)
if raw then return raw end
local rec = { s = tostring(redis.call('INCR', B .. ':clock')), t = ARGV[2], a = ARGV[3], u = ARGV[4], sid = sid, app = {} }
local h = redis.call('HMGET', skey('s', sid), 'pos', 'status', 'act', 'exp')
if h[1] then
  rec.live = '1'
  rec.pos = h[1]
  rec.st = h[2]
  rec.act = h[3]
  rec.exp = h[4]
  if redis.call('EXISTS', B .. ':us') == 1 then rec.ru = '1' end
else
  rec.live = '0'
end
return cjson.encode(rec)
`;
