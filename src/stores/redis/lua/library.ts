/**
 * Lua shared by the scripts. Every script is this text plus its own body, so
 * each is self-contained (EVALSHA of one cached script per call). Numbers
 * that must round-trip exactly (times, durations) travel as text and are
 * stored as given; Lua only compares them, or formats a sum with %.17g,
 * which reads back as the same double.
 */
export const LIBRARY = String.raw`
local NUL = '\0'

local function chunked(cmd, key, flat, step)
  local n = #flat
  local i = 1
  while i <= n do
    local j = i + step - 1
    if j > n then j = n end
    redis.call(cmd, key, unpack(flat, i, j))
    i = j + 1
  end
end

local function mget_chunked(cmd, key, fields)
  local out = {}
  local n = #fields
  local i = 1
  while i <= n do
    local j = i + 999
    if j > n then j = n end
    local part = redis.call(cmd, key, unpack(fields, i, j))
    for k = 1, #part do out[#out + 1] = part[k] end
    i = j + 1
  end
  return out
end

-- Writes flat state entries (key, json, …) to a hash: an empty value ('', never
-- JSON text) deletes its key instead (updateKeys' null values).
local function write_state(key, flat)
  local sets, dels = {}, {}
  for i = 1, #flat, 2 do
    if flat[i + 1] == '' then
      dels[#dels + 1] = flat[i]
    else
      sets[#sets + 1] = flat[i]
      sets[#sets + 1] = flat[i + 1]
    end
  end
  if #sets > 0 then chunked('HSET', key, sets, 1000) end
  if #dels > 0 then chunked('HDEL', key, dels, 1000) end
end

local function seq_range(from, to, step)
  local t = {}
  for s = from, to, step do t[#t + 1] = s end
  return t
end

local function split_nul(s)
  local out = {}
  local start = 1
  while true do
    local i = string.find(s, NUL, start, true)
    if not i then
      out[#out + 1] = string.sub(s, start)
      return out
    end
    out[#out + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end

-- An ordered merge of state entries: later values win, each key once.
local function acc_new()
  return { order = {}, val = {} }
end

local function acc_add(acc, from, count)
  for i = 0, count - 1 do
    local k = ARGV[from + 2 * i]
    if acc.val[k] == nil then acc.order[#acc.order + 1] = k end
    acc.val[k] = ARGV[from + 2 * i + 1]
  end
end

local function acc_flat(acc)
  local flat = {}
  for _, k in ipairs(acc.order) do
    flat[#flat + 1] = k
    flat[#flat + 1] = acc.val[k]
  end
  return flat
end

local function argv_flat(from, count)
  local flat = {}
  for i = 0, 2 * count - 1 do flat[i + 1] = ARGV[from + i] end
  return flat
end

local function argv_list(from, count)
  local list = {}
  for i = 0, count - 1 do list[i + 1] = ARGV[from + i] end
  return list
end

-- The expiry rule of core/validate.ts isDue.
local function is_due(exp, st, act, now, idle, mode)
  if exp ~= '' and tonumber(exp) <= tonumber(now) then return true end
  if idle == '' or tonumber(act) > tonumber(idle) then return false end
  return st == 'active' or (mode == 'delete' and st == 'expired')
end

local function file_indexes(tb, app, user, sid)
  local list = { tb .. ':fx' }
  if app ~= '' then
    list[2] = tb .. ':fx:a:' .. app
    list[3] = tb .. ':fx:u:' .. app .. NUL .. user
    list[4] = tb .. ':fx:s:' .. app .. NUL .. user .. NUL .. sid
  end
  return list
end

local function delete_file(tb, id)
  local F = tb .. ':f:' .. id
  local f = redis.call('HMGET', F, 'pos', 'app', 'user', 'sid')
  if not f[1] then return 0 end
  for _, ix in ipairs(file_indexes(tb, f[2], f[3], f[4])) do redis.call('ZREM', ix, f[1] .. id) end
  redis.call('ZREM', tb .. ':fe', id)
  redis.call('ZREM', tb .. ':fids', id)
  redis.call('DEL', F)
  return 1
end

-- Moves one session's entries in the tenant slot's indexes from old to new
-- ({pos, st, act, exp}; nil when absent). Deleting also deletes its files.
local function sync_tenant(tb, app, user, sid, old, new)
  local km = app .. NUL .. user .. NUL .. sid
  local tm = sid .. NUL .. app .. NUL .. user
  local am = sid .. NUL .. user
  local ax = tb .. ':ax:' .. app
  local moved = (not old) or (not new) or old.pos ~= new.pos or old.st ~= new.st
  if old and moved then
    redis.call('ZREM', tb .. ':ix', old.pos .. tm)
    redis.call('ZREM', tb .. ':ix' .. NUL .. old.st, old.pos .. tm)
    redis.call('ZREM', ax, old.pos .. am)
    redis.call('ZREM', ax .. NUL .. old.st, old.pos .. am)
  end
  if old and ((not new) or old.st ~= new.st) then
    redis.call('ZREM', tb .. ':exp' .. NUL .. old.st, km)
    redis.call('ZREM', tb .. ':act' .. NUL .. old.st, km)
  end
  if new then
    if moved then
      redis.call('ZADD', tb .. ':ix', 0, new.pos .. tm)
      redis.call('ZADD', tb .. ':ix' .. NUL .. new.st, 0, new.pos .. tm)
      redis.call('ZADD', ax, 0, new.pos .. am)
      redis.call('ZADD', ax .. NUL .. new.st, 0, new.pos .. am)
    end
    if new.exp ~= '' then
      redis.call('ZADD', tb .. ':exp' .. NUL .. new.st, new.exp, km)
    elseif old then
      redis.call('ZREM', tb .. ':exp' .. NUL .. new.st, km)
    end
    if new.st ~= 'archived' then redis.call('ZADD', tb .. ':act' .. NUL .. new.st, new.act, km) end
    if not old then redis.call('ZADD', tb .. ':keys', 0, km) end
  else
    redis.call('ZREM', tb .. ':keys', km)
    for _, m in ipairs(redis.call('ZRANGE', tb .. ':fx:s:' .. km, 0, -1)) do delete_file(tb, string.sub(m, 17)) end
  end
end
`;

/**
 * Lua of the scripts that run in a user slot. `KEYS[1]` is the user slot's
 * base. On one server the script also gets the tenant, app and global bases
 * (`KEYS[2..4]`) and does every step itself (INLINE); on a cluster it gets only
 * its own slot and records the cross-slot steps in the session's outbox entry,
 * which it returns for the store to apply (see outbox.ts).
 */
export const USER_LIBRARY = String.raw`
local B = KEYS[1]
local INLINE = #KEYS >= 4
local T, A, G = KEYS[2], KEYS[3], KEYS[4]

local function skey(kind, sid)
  return B .. ':' .. kind .. ':' .. sid
end

local function sync_user(sid, old, new)
  local ix = B .. ':ix'
  local moved = (not old) or (not new) or old.pos ~= new.pos or old.st ~= new.st
  if not moved then return end
  if old then
    redis.call('ZREM', ix, old.pos .. sid)
    redis.call('ZREM', ix .. NUL .. old.st, old.pos .. sid)
  end
  if new then
    redis.call('ZADD', ix, 0, new.pos .. sid)
    redis.call('ZADD', ix .. NUL .. new.st, 0, new.pos .. sid)
  end
end

-- Cluster: merges this write's cross-slot work into the session's outbox entry.
local function outbox(sid, tenant, app, user, new, appFlat, regu, isNew)
  local stamp = tostring(redis.call('INCR', B .. ':clock'))
  local raw = redis.call('HGET', B .. ':ob', sid)
  local rec
  if raw then rec = cjson.decode(raw) else rec = { app = {} } end
  rec.s = stamp
  rec.t = tenant
  rec.a = app
  rec.u = user
  rec.sid = sid
  if new then
    rec.live = '1'
    rec.pos = new.pos
    rec.st = new.st
    rec.act = new.act
    rec.exp = new.exp
  else
    rec.live = '0'
  end
  if #appFlat > 0 then
    local batch = { stamp }
    for i = 1, #appFlat do batch[i + 1] = appFlat[i] end
    rec.app[#rec.app + 1] = batch
    rec.ra = '1'
  end
  if regu then rec.ru = '1' end
  if isNew then rec.n = '1' end
  local text = cjson.encode(rec)
  redis.call('HSET', B .. ':ob', sid, text)
  return text
end

-- After a session's own keys changed from old to new: the indexes, app state and registries.
local function finish(sid, tenant, app, user, old, new, appFlat, regu, isNew)
  sync_user(sid, old, new)
  if INLINE then
    if #appFlat > 0 then
      write_state(A .. ':state', appFlat)
      redis.call('ZADD', T .. ':apps', 0, app)
    end
    if regu then redis.call('ZADD', T .. ':users', 0, app .. NUL .. user) end
    sync_tenant(T, app, user, sid, old, new)
    if isNew then redis.call('ZADD', G .. ':tenants', 0, tenant) end
    return ''
  end
  return outbox(sid, tenant, app, user, new, appFlat, regu, isNew)
end

-- Appends a change to the session's state-change log: a StateChangeRow as JSON
-- (core/history.ts), change being the change's JSON text as a JSON string.
local function log_change(sid, atSeq, change)
  redis.call('RPUSH', skey('sh', sid), '{"at_seq":' .. atSeq .. ',"change":' .. change .. '}')
end

local function session_reply(sid, rec)
  local app = {}
  if INLINE then app = redis.call('HGETALL', A .. ':state') end
  return { 'ok', redis.call('HGETALL', skey('s', sid)), redis.call('HGETALL', skey('st', sid)), redis.call('HGETALL', B .. ':us'), app, rec }
end

local function events_reply(sid, seqs)
  local bodies = mget_chunked('HMGET', skey('ev', sid), seqs)
  local out = {}
  for i = 1, #seqs do
    out[#out + 1] = seqs[i]
    out[#out + 1] = bodies[i]
  end
  return out
end
`;
