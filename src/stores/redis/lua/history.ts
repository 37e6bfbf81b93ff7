/**
 * A session's history, in its user slot: the log of state changes (`:sh:<id>`,
 * a list of `StateChangeRow` JSON, oldest first) and the events rewinds
 * superseded (`:sx:<id>`, a lexicographic sorted set, every score 0, whose
 * members are `<16 hex digits of supersededBy><16 hex digits of seq>
 * <supersededAt>\0<event body>`: byte order is (supersededBy, seq) order, so a
 * page after a cursor is one ZRANGEBYLEX).
 */

/** ARGV: sid. Reply: 0 when missing, else 1, version, event count, createdAt (as stored), and the log's entries. */
export const READ_HISTORY = String.raw`
local sid = ARGV[1]
local h = redis.call('HMGET', skey('s', sid), 'v', 'n', 'created')
if not h[1] then return { 0 } end
return { 1, h[1], h[2], h[3], redis.call('LRANGE', skey('sh', sid), 0, -1) }
`;

/** ARGV: sid, start ('-' or '[' member prefix), count. Reply: 0 when missing, else 1 and up to count members. */
export const READ_SUPERSEDED = String.raw`
local sid = ARGV[1]
if redis.call('EXISTS', skey('s', sid)) == 0 then return { 0 } end
return { 1, redis.call('ZRANGEBYLEX', skey('sx', sid), ARGV[2], '+', 'LIMIT', 0, tonumber(ARGV[3])) }
`;

/**
 * The write of a rewind, planned in JavaScript from a read of the session at
 * one version (core/history.ts planRewind and stateAtSeq): applied only if
 * the session is still at that version, with the same event count and
 * creation time (a replacing import or a re-create does not pass for it).
 * ARGV: sid, tenant, app, user, version, createdAt and event count as read,
 * toSeq, now, its position, how many log entries to keep, the number of own
 * state entries, the entries (the own state after toSeq), then the ids of
 * events toSeq + 1 .. count in seq order.
 * Moves those events to the superseded set (supersededBy: the new version),
 * removes them from the events, ids and times, replaces the own state, cuts
 * the log, and sets the count, version and updatedAt (lastActivityAt kept).
 * Reply: as session_reply; notfound; moved (read again).
 */
export const REWIND = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
local h = redis.call('HMGET', S, 'v', 'created', 'n', 'pos', 'status', 'act', 'exp')
if not h[1] then return { 'notfound' } end
if h[1] ~= ARGV[5] or h[2] ~= ARGV[6] or h[3] ~= ARGV[7] then return { 'moved' } end
local n, toSeq = tonumber(ARGV[7]), tonumber(ARGV[8])
local at = ARGV[9]
local EV, ET, SX = skey('ev', sid), skey('et', sid), skey('sx', sid)
local head = string.format('%016x', tonumber(h[1]) + 1)
local moved = 0
local from = toSeq + 1
while from <= n do
  local to = math.min(n, from + 499)
  local seqs = seq_range(from, to, 1)
  local bodies = redis.call('HMGET', EV, unpack(seqs))
  local members = {}
  for i = 1, #seqs do
    if bodies[i] then
      members[#members + 1] = 0
      members[#members + 1] = head .. string.format('%016x', seqs[i]) .. at .. NUL .. bodies[i]
      moved = moved + #bodies[i]
    end
  end
  if #members > 0 then redis.call('ZADD', SX, unpack(members)) end
  redis.call('HDEL', EV, unpack(seqs))
  redis.call('ZREM', ET, unpack(seqs))
  from = to + 1
end
local nState = tonumber(ARGV[12])
local idsFrom = 13 + 2 * nState
local ids = argv_list(idsFrom, #ARGV - idsFrom + 1)
if #ids > 0 then chunked('HDEL', skey('ei', sid), ids, 1000) end
local ST = skey('st', sid)
redis.call('DEL', ST)
if nState > 0 then chunked('HSET', ST, argv_flat(13, nState), 1000) end
local keep = tonumber(ARGV[11])
if keep == 0 then
  redis.call('DEL', skey('sh', sid))
else
  redis.call('LTRIM', skey('sh', sid), 0, keep - 1)
end
redis.call('HSET', S, 'n', ARGV[8], 'updated', at, 'pos', ARGV[10])
redis.call('HINCRBY', S, 'bytes', -moved)
redis.call('HINCRBY', S, 'v', 1)
local old = { pos = h[4], st = h[5], act = h[6], exp = h[7] }
local rec = finish(sid, tenant, app, user, old, { pos = ARGV[10], st = h[5], act = h[6], exp = h[7] }, {}, false, false)
return session_reply(sid, rec)
`;

/**
 * Key layout 1 → 2, per session. ARGV: sids. Each session that has no log yet
 * gets one entry: a replace of its own state now, after its last event (what
 * core's importedStateChange makes), so rewinds to that seq or later are exact.
 * Reply: how many sessions got one.
 */
export const BACKFILL_LOG = String.raw`
local done = 0
for i = 1, #ARGV do
  local sid = ARGV[i]
  local n = redis.call('HGET', skey('s', sid), 'n')
  if n and redis.call('EXISTS', skey('sh', sid)) == 0 then
    local st = redis.call('HGETALL', skey('st', sid))
    local parts = {}
    for j = 1, #st, 2 do parts[#parts + 1] = cjson.encode(st[j]) .. ':' .. st[j + 1] end
    local change = '{"kind":"replace","set":{' .. table.concat(parts, ',') .. '},"unset":[]}'
    log_change(sid, n, cjson.encode(change))
    done = done + 1
  end
end
return done
`;
