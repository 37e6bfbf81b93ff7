/**
 * The write scripts of one session, each run in the session's user slot
 * (see USER_LIBRARY for how one server and a cluster differ). Each either
 * changes everything it says or nothing: Redis runs a script without
 * interleaving other commands, and a script checks before it writes.
 * Replies start with a status word: ok, exists, notfound, conflict, replay,
 * missing, notdue.
 */

/**
 * ARGV: sid, tenant, app, user, metadata, model ('' = null), status, createdAt,
 * updatedAt, position, expiresAt ('' = null), the first entry of the state-change
 * log (its initial own state), then the counts of session, user and app entries
 * and the entries.
 */
export const CREATE = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
if redis.call('EXISTS', S) == 1 then return { 'exists' } end
redis.call('HSET', S, 't', tenant, 'a', app, 'u', user, 'id', sid, 'meta', ARGV[5], 'model', ARGV[6], 'status', ARGV[7],
  'created', ARGV[8], 'updated', ARGV[9], 'pos', ARGV[10], 'act', ARGV[9], 'exp', ARGV[11],
  'n', '0', 'rc', '0', 'rms', '0', 'v', '1', 'bytes', '0')
redis.call('RPUSH', skey('sh', sid), ARGV[12])
local nS, nU, nA = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local own, us, ap = argv_flat(16, nS), argv_flat(16 + 2 * nS, nU), argv_flat(16 + 2 * (nS + nU), nA)
if #own > 0 then chunked('HSET', skey('st', sid), own, 1000) end
if #us > 0 then chunked('HSET', B .. ':us', us, 1000) end
local rec = finish(sid, tenant, app, user, nil, { pos = ARGV[10], st = ARGV[7], act = ARGV[9], exp = ARGV[11] }, ap, #us > 0, true)
return session_reply(sid, rec)
`;

/**
 * ARGV: sid, tenant, app, user, expectVersion ('' = none), '1' if any event id
 * was chosen by the caller, the number of events, then per event: id,
 * timestamp, position, stored body, the counts of its session, user and app
 * state entries, and the entries.
 * Reply: ok, version, first seq, outbox entry, then (index, seq, body) of each
 * event already stored; replay, version, pending outbox entry, (index, seq,
 * body)…; notfound; conflict, version.
 */
export const APPEND = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
local h = redis.call('HMGET', S, 'v', 'n', 'pos', 'status', 'act', 'exp')
if not h[1] then return { 'notfound' } end
local version = tonumber(h[1])
local count = tonumber(ARGV[7])
local evs = {}
local at = 8
for e = 1, count do
  local ns, nu, na = tonumber(ARGV[at + 4]), tonumber(ARGV[at + 5]), tonumber(ARGV[at + 6])
  evs[e] = { id = ARGV[at], ts = ARGV[at + 1], pos = ARGV[at + 2], body = ARGV[at + 3], from = at + 7, ns = ns, nu = nu, na = na }
  at = at + 7 + 2 * (ns + nu + na)
end
local EI = skey('ei', sid)
local stored = {}
local fresh = count
if ARGV[6] == '1' and count > 0 then
  local ids = {}
  for e = 1, count do ids[e] = evs[e].id end
  local seqs = mget_chunked('HMGET', EI, ids)
  for e = 1, count do
    if seqs[e] then
      stored[e] = tonumber(seqs[e])
      fresh = fresh - 1
    end
  end
end
local function with_stored(out)
  local idx, seqs = {}, {}
  for e = 1, count do
    if stored[e] then
      idx[#idx + 1] = e
      seqs[#seqs + 1] = stored[e]
    end
  end
  local evs_out = events_reply(sid, seqs)
  for i = 1, #idx do
    out[#out + 1] = idx[i]
    out[#out + 1] = evs_out[2 * i - 1]
    out[#out + 1] = evs_out[2 * i]
  end
  return out
end
if fresh == 0 then
  -- A retry: on a cluster, hand back the session's pending outbox entry too, so the retry finishes what the first attempt left.
  local pending = ''
  if not INLINE then pending = redis.call('HGET', B .. ':ob', sid) or '' end
  return with_stored({ 'replay', version, pending })
end
if ARGV[5] ~= '' and tonumber(ARGV[5]) ~= version then return { 'conflict', version } end
local seq = tonumber(h[2])
local first = seq + 1
local evflat, eiflat, etflat = {}, {}, {}
local own, us, ap = acc_new(), acc_new(), acc_new()
local bytes = 0
local last
for e = 1, count do
  if not stored[e] then
    local ev = evs[e]
    seq = seq + 1
    local s = tostring(seq)
    evflat[#evflat + 1] = s
    evflat[#evflat + 1] = ev.body
    eiflat[#eiflat + 1] = ev.id
    eiflat[#eiflat + 1] = s
    etflat[#etflat + 1] = ev.ts
    etflat[#etflat + 1] = s
    bytes = bytes + #ev.body
    acc_add(own, ev.from, ev.ns)
    acc_add(us, ev.from + 2 * ev.ns, ev.nu)
    acc_add(ap, ev.from + 2 * (ev.ns + ev.nu), ev.na)
    last = ev
  end
end
chunked('HSET', skey('ev', sid), evflat, 1000)
chunked('HSET', EI, eiflat, 1000)
chunked('ZADD', skey('et', sid), etflat, 1000)
local ownFlat, usFlat = acc_flat(own), acc_flat(us)
if #ownFlat > 0 then chunked('HSET', skey('st', sid), ownFlat, 1000) end
if #usFlat > 0 then chunked('HSET', B .. ':us', usFlat, 1000) end
redis.call('HSET', S, 'n', tostring(seq), 'updated', last.ts, 'act', last.ts, 'pos', last.pos)
redis.call('HINCRBY', S, 'bytes', bytes)
local v = redis.call('HINCRBY', S, 'v', 1)
local old = { pos = h[3], st = h[4], act = h[5], exp = h[6] }
local new = { pos = last.pos, st = h[4], act = last.ts, exp = h[6] }
local rec = finish(sid, tenant, app, user, old, new, acc_flat(ap), #usFlat > 0, false)
return with_stored({ 'ok', v, first, rec })
`;

/**
 * ARGV: sid, tenant, app, user, expectVersion ('' = none), now, its position,
 * then (set?, value) for metadata, model, status, expiresAt, lastActivityAt,
 * the change to the session's own keys as a JSON string ('' = none: nothing
 * goes into the state-change log), then the counts of session, user and app
 * entries and the entries (an entry with an empty value deletes its key).
 */
export const UPDATE = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
local h = redis.call('HMGET', S, 'v', 'pos', 'status', 'act', 'exp', 'n')
if not h[1] then return { 'notfound' } end
if ARGV[5] ~= '' and tonumber(ARGV[5]) ~= tonumber(h[1]) then return { 'conflict', tonumber(h[1]) } end
local fields = { 'updated', ARGV[6], 'pos', ARGV[7] }
local new = { pos = ARGV[7], st = h[3], act = h[4], exp = h[5] }
local function set(flag, name, value)
  if ARGV[flag] == '1' then
    fields[#fields + 1] = name
    fields[#fields + 1] = ARGV[value]
    return true
  end
  return false
end
set(8, 'meta', 9)
set(10, 'model', 11)
if set(12, 'status', 13) then new.st = ARGV[13] end
if set(14, 'exp', 15) then new.exp = ARGV[15] end
if set(16, 'act', 17) then new.act = ARGV[17] end
redis.call('HSET', S, unpack(fields))
redis.call('HINCRBY', S, 'v', 1)
local nS, nU, nA = tonumber(ARGV[19]), tonumber(ARGV[20]), tonumber(ARGV[21])
local own, us, ap = argv_flat(22, nS), argv_flat(22 + 2 * nS, nU), argv_flat(22 + 2 * (nS + nU), nA)
if #own > 0 then write_state(skey('st', sid), own) end
if ARGV[18] ~= '' then log_change(sid, h[6], ARGV[18]) end
if #us > 0 then write_state(B .. ':us', us) end
local old = { pos = h[2], st = h[3], act = h[4], exp = h[5] }
local rec = finish(sid, tenant, app, user, old, new, ap, #us > 0, false)
return session_reply(sid, rec)
`;

/** ARGV: sid, tenant, app, user, count, durationMs, at. */
export const ACTIVITY = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
local h = redis.call('HMGET', S, 'v', 'rms', 'act', 'pos', 'status', 'exp')
if not h[1] then return { 'notfound' } end
redis.call('HINCRBY', S, 'rc', ARGV[5])
local act = h[3]
if tonumber(ARGV[7]) > tonumber(act) then act = ARGV[7] end
redis.call('HSET', S, 'rms', string.format('%.17g', tonumber(h[2]) + tonumber(ARGV[6])), 'act', act)
redis.call('HINCRBY', S, 'v', 1)
local rec = ''
if act ~= h[3] then
  local old = { pos = h[4], st = h[5], act = h[3], exp = h[6] }
  rec = finish(sid, tenant, app, user, old, { pos = h[4], st = h[5], act = act, exp = h[6] }, {}, false, false)
end
return session_reply(sid, rec)
`;

/**
 * ARGV: sid, tenant, app, user, replace ('1'/'0'), metadata, model, status,
 * createdAt, updatedAt, position, lastActivityAt, expiresAt, eventCount,
 * requestCount, requestMsTotal, version, the number of state entries, the
 * number of events, the number of state changes, the entries, then (id,
 * timestamp, body) per event, then the state-change log's entries. A replaced
 * session's log and superseded events go with it.
 */
export const IMPORT = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
local h = redis.call('HMGET', S, 'pos', 'status', 'act', 'exp')
local old = nil
if h[1] then
  if ARGV[5] ~= '1' then return { 'exists' } end
  old = { pos = h[1], st = h[2], act = h[3], exp = h[4] }
  redis.call('UNLINK', S, skey('st', sid), skey('ev', sid), skey('ei', sid), skey('et', sid))
end
redis.call('UNLINK', skey('sh', sid), skey('sx', sid))
local nState, nEvents, nChanges = tonumber(ARGV[18]), tonumber(ARGV[19]), tonumber(ARGV[20])
local state = argv_flat(21, nState)
if #state > 0 then chunked('HSET', skey('st', sid), state, 1000) end
local evflat, eiflat, etflat = {}, {}, {}
local bytes = 0
local at = 21 + 2 * nState
for i = 1, nEvents do
  local s = tostring(i)
  evflat[#evflat + 1] = s
  evflat[#evflat + 1] = ARGV[at + 2]
  eiflat[#eiflat + 1] = ARGV[at]
  eiflat[#eiflat + 1] = s
  etflat[#etflat + 1] = ARGV[at + 1]
  etflat[#etflat + 1] = s
  bytes = bytes + #ARGV[at + 2]
  at = at + 3
end
chunked('HSET', skey('ev', sid), evflat, 1000)
chunked('HSET', skey('ei', sid), eiflat, 1000)
chunked('ZADD', skey('et', sid), etflat, 1000)
if nChanges > 0 then chunked('RPUSH', skey('sh', sid), argv_list(at, nChanges), 1000) end
redis.call('HSET', S, 't', tenant, 'a', app, 'u', user, 'id', sid, 'meta', ARGV[6], 'model', ARGV[7], 'status', ARGV[8],
  'created', ARGV[9], 'updated', ARGV[10], 'pos', ARGV[11], 'act', ARGV[12], 'exp', ARGV[13],
  'n', ARGV[14], 'rc', ARGV[15], 'rms', ARGV[16], 'v', ARGV[17], 'bytes', tostring(bytes))
local new = { pos = ARGV[11], st = ARGV[8], act = ARGV[12], exp = ARGV[13] }
local rec = finish(sid, tenant, app, user, old, new, {}, false, old == nil)
return session_reply(sid, rec)
`;

/**
 * ARGV: sid, tenant, app, user, then for a sweep: 'due', now, idleBefore ('' =
 * none), mode — the session is deleted only if it is still due.
 */
export const DELETE = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
local h = redis.call('HMGET', S, 'pos', 'status', 'act', 'exp')
if not h[1] then return { 'missing' } end
if ARGV[5] == 'due' and not is_due(h[4], h[2], h[3], ARGV[6], ARGV[7], ARGV[8]) then return { 'notdue' } end
redis.call('UNLINK', S, skey('st', sid), skey('ev', sid), skey('ei', sid), skey('et', sid), skey('sh', sid), skey('sx', sid))
local old = { pos = h[1], st = h[2], act = h[3], exp = h[4] }
return { 'ok', finish(sid, tenant, app, user, old, nil, {}, false, false) }
`;

/** ARGV: sid, tenant, app, user, now, its position, idleBefore ('' = none). Marks the session expired if it is due. */
export const MARK_EXPIRED = String.raw`
local sid, tenant, app, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local S = skey('s', sid)
local h = redis.call('HMGET', S, 'pos', 'status', 'act', 'exp')
if not h[1] then return { 'missing' } end
if h[2] == 'expired' or not is_due(h[4], h[2], h[3], ARGV[5], ARGV[7], 'mark') then return { 'notdue' } end
redis.call('HSET', S, 'status', 'expired', 'updated', ARGV[5], 'pos', ARGV[6])
redis.call('HINCRBY', S, 'v', 1)
local old = { pos = h[1], st = h[2], act = h[3], exp = h[4] }
return { 'ok', finish(sid, tenant, app, user, old, { pos = ARGV[6], st = 'expired', act = h[3], exp = h[4] }, {}, false, false) }
`;

/** KEYS: a slot base. ARGV: the state hash's name after the base (':state' or ':us'), then the entries. Reply: the state after the change. */
export const SET_STATE = String.raw`
local key = KEYS[1] .. ARGV[1]
local flat = argv_flat(2, (#ARGV - 1) / 2)
if #flat > 0 then chunked('HSET', key, flat, 1000) end
return redis.call('HGETALL', key)
`;
