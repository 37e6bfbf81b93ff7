/**
 * KEYS: the global slot. ARGV: this code's layout version. Records it unless
 * the recorded one is newer (no layout so far moves data, so recording is the
 * whole upgrade). Reply: the version recorded afterwards.
 */
export const UPGRADE_LAYOUT = String.raw`
local key = KEYS[1] .. ':layout'
local current = tonumber(redis.call('GET', key) or '0')
local wanted = tonumber(ARGV[1])
if current >= wanted then return current end
redis.call('SET', key, ARGV[1])
return wanted
`;
