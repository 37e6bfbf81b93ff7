/**
 * File records, in their tenant's slot (`KEYS[1]`): a hash per record (its
 * row as JSON, and the owner and times the indexes need), lexicographic
 * indexes newest first (position of uploadedAt, then id) for the tenant and for
 * the owning app, user and session, an expiry index, and the id registry.
 */

/**
 * KEYS: tenant slot, then on one server the global slot and, for a file that
 * belongs to a session, its user slot (checked in the same step).
 * ARGV: tenant, id, row JSON, position, app, user, sid ('' when none), expiresAt ('' = never).
 * Reply: 1, or 0 if the owning session does not exist.
 */
export const PUT_FILE = String.raw`
local tb = KEYS[1]
if KEYS[3] and redis.call('EXISTS', KEYS[3] .. ':s:' .. ARGV[7]) == 0 then return 0 end
local id = ARGV[2]
delete_file(tb, id)
redis.call('HSET', tb .. ':f:' .. id, 'json', ARGV[3], 'pos', ARGV[4], 'app', ARGV[5], 'user', ARGV[6], 'sid', ARGV[7], 'exp', ARGV[8])
for _, ix in ipairs(file_indexes(tb, ARGV[5], ARGV[6], ARGV[7])) do redis.call('ZADD', ix, 0, ARGV[4] .. id) end
if ARGV[8] ~= '' then redis.call('ZADD', tb .. ':fe', ARGV[8], id) end
redis.call('ZADD', tb .. ':fids', 0, id)
if KEYS[2] then redis.call('ZADD', KEYS[2] .. ':tenants', 0, ARGV[1]) end
return 1
`;

/** ARGV: id, and optionally the row JSON it must still hold. Reply: 1 if deleted. */
export const DELETE_FILE = String.raw`
local tb = KEYS[1]
if ARGV[2] and redis.call('HGET', tb .. ':f:' .. ARGV[1], 'json') ~= ARGV[2] then return 0 end
return delete_file(tb, ARGV[1])
`;

/** ARGV: now, at most how many. Deletes records whose expiresAt has passed; replies how many. */
export const SWEEP_FILES = String.raw`
local tb = KEYS[1]
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', tb .. ':fe', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  n = n + delete_file(tb, id)
end
return n
`;

/**
 * ARGV: index key, start ('+' or '(' member), how many to return, then the app,
 * user and sid filters ('' = any). Walks the index newest first; replies
 * (member, row JSON)… of the records that pass the filters.
 */
export const LIST_FILES = String.raw`
local tb = KEYS[1]
local want = tonumber(ARGV[3])
local fApp, fUser, fSid = ARGV[4], ARGV[5], ARGV[6]
local out = {}
local start = ARGV[2]
while #out < 2 * want do
  local batch = redis.call('ZREVRANGEBYLEX', ARGV[1], start, '-', 'LIMIT', 0, want)
  if #batch == 0 then break end
  for _, m in ipairs(batch) do
    local f = redis.call('HMGET', tb .. ':f:' .. string.sub(m, 17), 'app', 'user', 'sid', 'json')
    if f[4] and (fApp == '' or f[1] == fApp) and (fUser == '' or f[2] == fUser) and (fSid == '' or f[3] == fSid) then
      out[#out + 1] = m
      out[#out + 1] = f[4]
      if #out == 2 * want then break end
    end
  end
  start = '(' .. batch[#batch]
end
return out
`;
