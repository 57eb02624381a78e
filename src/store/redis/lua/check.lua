-- Is an invitation revoked (by ID or by a rule) or used up? Counts nothing.
-- KEYS[1] control hash, KEYS[2] state hash (same slot)
-- ARGV[1] issued at (unix s)   ARGV[2] inviter's rule field ('i:' .. inviter, or '')
-- ARGV[3] max uses ('' = none)
-- Returns 0 valid, 1 revoked, 2 used up.
local ctl = redis.call('HMGET', KEYS[1], 'init', '*', ARGV[2])
if not ctl[1] then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local issued = tonumber(ARGV[1]) * 1000
if (ctl[2] and issued < tonumber(ctl[2])) or (ctl[3] and issued < tonumber(ctl[3])) then
  return 1
end
local s = redis.call('HMGET', KEYS[2], 'rev', 'n')
if s[1] then
  return 1
end
if ARGV[3] ~= '' and tonumber(s[2] or '0') >= tonumber(ARGV[3]) then
  return 2
end
return 0
