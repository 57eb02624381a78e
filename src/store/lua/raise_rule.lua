-- Move a revocation rule forward (never back).
-- KEYS[1] revocation rules hash   ARGV[1] field ('*' or 'i:<inviter>')   ARGV[2] issued-before (unix s)
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 1
