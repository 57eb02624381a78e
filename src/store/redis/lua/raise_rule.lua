-- Move a revocation rule forward (never back).
-- KEYS[1] control hash   ARGV[1] field ('*' or 'i:' .. inviter)   ARGV[2] cut-off (unix ms)
-- Returns the cut-off now in force for that field.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return tonumber(ARGV[2])
end
return tonumber(current)
