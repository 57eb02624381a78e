-- Move a revocation rule forward (never back).
-- KEYS[1] control hash   ARGV[1] field ('*' or 'i:' .. inviter)   ARGV[2] cut-off (unix ms)
-- KEYS[2] event stream, KEYS[3] its expiry index   ARGV[3] '1' to log the rule here (one
-- control hash of a cluster logs it)   ARGV[4] now (unix ms)   ARGV[5] inviter ('')
-- ARGV[6] actor ('')
-- Returns the cut-off now in force for that field.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  if ARGV[3] == '1' then
    -- Rules are kept until deleted by hand, and so is the event that added one.
    admit_log(KEYS[2], KEYS[3], tonumber(ARGV[4]), nil,
      {'k', 5, 'w', ARGV[4], 'v', ARGV[5], 'a', ARGV[6], 't', ARGV[2]})
  end
  return tonumber(ARGV[2])
end
return tonumber(current)
