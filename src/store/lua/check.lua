-- Is an invitation revoked, by ID or by a rule?
-- KEYS[1] state hash, KEYS[2] revocation rules hash (same slot)
-- ARGV[1] issued at (unix s)   ARGV[2] inviter ('' = none)
-- Returns 1 if revoked, else 0.
if redis.call('HEXISTS', KEYS[1], 'rev') == 1 then
  return 1
end
local issued = tonumber(ARGV[1])
local cutoff = redis.call('HGET', KEYS[2], '*')
if cutoff and issued < tonumber(cutoff) then
  return 1
end
if ARGV[2] ~= '' then
  cutoff = redis.call('HGET', KEYS[2], 'i:' .. ARGV[2])
  if cutoff and issued < tonumber(cutoff) then
    return 1
  end
end
return 0
