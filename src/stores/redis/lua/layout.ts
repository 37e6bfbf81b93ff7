/**
 * KEYS: the global slot. ARGV: a layout version, and `init` (record it if no
 * layout is recorded: an empty database) or `raise` (record it unless the
 * recorded one is newer: an upgrade finished). Reply: the version recorded
 * afterwards.
 */
export const UPGRADE_LAYOUT = String.raw`
local key = KEYS[1] .. ':layout'
local current = tonumber(redis.call('GET', key) or '0')
local wanted = tonumber(ARGV[1])
if current >= wanted or (ARGV[2] == 'init' and current > 0) then return current end
redis.call('SET', key, ARGV[1])
return wanted
`;
