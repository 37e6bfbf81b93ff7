/**
 * Reads of one session, in its user slot: the fields, all three state scopes
 * (app state too when the app slot is on the same server, `KEYS[2]`) and the
 * selected events, from one moment. Events are addressed by seq, so the
 * newest N cost O(N) whatever the length of the history.
 */

/**
 * ARGV: sid, mode (none | all | last | since | lastsince), N, afterTimestamp.
 * Reply: 0 when missing, else 1, fields, own state, user state, app state,
 * (seq, body)… oldest first, and 1 if the session has cross-slot work pending.
 */
export const READ_SESSION = String.raw`
local sid = ARGV[1]
local S = skey('s', sid)
local h = redis.call('HGETALL', S)
if #h == 0 then return { 0 } end
local own = redis.call('HGETALL', skey('st', sid))
local us = redis.call('HGETALL', B .. ':us')
local app = {}
local pending = 0
if KEYS[2] then
  app = redis.call('HGETALL', KEYS[2] .. ':state')
elseif redis.call('HEXISTS', B .. ':ob', sid) == 1 then
  pending = 1
end
local mode = ARGV[2]
local seqs = {}
if mode ~= 'none' then
  local n = tonumber(redis.call('HGET', S, 'n'))
  local want = tonumber(ARGV[3])
  local after = ARGV[4]
  local ET = skey('et', sid)
  if mode == 'all' then
    seqs = seq_range(1, n, 1)
  elseif mode == 'last' then
    seqs = seq_range(math.max(1, n - want + 1), n, 1)
  elseif mode == 'since' or redis.call('ZCOUNT', ET, after, '+inf') <= want then
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', ET, after, '+inf')) do seqs[#seqs + 1] = tonumber(m) end
    table.sort(seqs)
  else
    -- More than N match: walk back from the newest, O(N) when times grow with seq.
    local picked = {}
    local hi = n
    local limit = tonumber(after)
    while #picked < want and hi >= 1 do
      local lo = math.max(1, hi - math.min(2 * want, 1000) + 1)
      local batch = seq_range(hi, lo, -1)
      local scores = mget_chunked('ZMSCORE', ET, batch)
      for i = 1, #batch do
        if scores[i] and tonumber(scores[i]) >= limit then
          picked[#picked + 1] = batch[i]
          if #picked == want then break end
        end
      end
      hi = lo - 1
    end
    for i = #picked, 1, -1 do seqs[#seqs + 1] = picked[i] end
  end
end
return { 1, h, own, us, app, events_reply(sid, seqs), pending }
`;

/** ARGV: sid, order (asc | desc), exclusive seq bound, limit. Reply: 0 when missing, else 1 and (seq, body)… of up to limit + 1 events. */
export const READ_EVENTS = String.raw`
local sid = ARGV[1]
local n = redis.call('HGET', skey('s', sid), 'n')
if not n then return { 0 } end
n = tonumber(n)
local bound, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local seqs
if ARGV[2] == 'asc' then
  seqs = seq_range(bound + 1, math.min(n, bound + limit + 1), 1)
else
  local hi = math.min(bound - 1, n)
  seqs = seq_range(hi, math.max(1, hi - limit), -1)
end
return { 1, events_reply(sid, seqs) }
`;

/** ARGV: sids. Reply: per session its fields and own state (empty when missing), and the user state. */
export const READ_LISTED = String.raw`
local out = {}
for i = 1, #ARGV do
  out[#out + 1] = redis.call('HGETALL', skey('s', ARGV[i]))
  out[#out + 1] = redis.call('HGETALL', skey('st', ARGV[i]))
end
out[#out + 1] = redis.call('HGETALL', B .. ':us')
return out
`;
