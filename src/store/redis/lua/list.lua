-- Registry IDs that have not expired, and the rules to judge them by.
-- KEYS[1] control hash, KEYS[2] registry index (same slot)
-- ARGV[1] now (unix ms)   ARGV[2] limit
-- Returns {{id, ...}, {rule field, cut-off, ...}}
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local ids = redis.call('ZRANGE', KEYS[2], '(' .. ARGV[1], '+inf', 'BYSCORE', 'LIMIT', 0, ARGV[2])
local rules = redis.call('HGETALL', KEYS[1])
return {ids, rules}
