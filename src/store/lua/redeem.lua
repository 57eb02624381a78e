-- Redeem an invitation for one joiner, atomically.
-- KEYS[1] state hash, KEYS[2] joiners hash, KEYS[3] revocation rules hash (same slot)
-- ARGV[1] joiner   ARGV[2] now (unix ms)   ARGV[3] max uses ('' = unlimited)
-- ARGV[4] expires at (unix ms, '' = never)   ARGV[5] forget at (unix ms, '' = never)
-- ARGV[6] issued at (unix s)   ARGV[7] inviter ('' = none)
-- Returns {'ok', uses, joined_at} | {'again', uses, joined_at} | {'revoked'} | {'used_up', uses}
local state, joiners, rules = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HEXISTS', state, 'rev') == 1 then
  return {'revoked'}
end
local issued = tonumber(ARGV[6])
local cutoff = redis.call('HGET', rules, '*')
if cutoff and issued < tonumber(cutoff) then
  return {'revoked'}
end
if ARGV[7] ~= '' then
  cutoff = redis.call('HGET', rules, 'i:' .. ARGV[7])
  if cutoff and issued < tonumber(cutoff) then
    return {'revoked'}
  end
end
local joined = redis.call('HGET', joiners, ARGV[1])
if joined then
  return {'again', redis.call('HGET', state, 'n') or '0', joined}
end
local uses = tonumber(redis.call('HGET', state, 'n') or '0')
if ARGV[3] ~= '' and uses >= tonumber(ARGV[3]) then
  return {'used_up', tostring(uses)}
end
uses = redis.call('HINCRBY', state, 'n', 1)
redis.call('HSET', joiners, ARGV[1], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('HSET', state, 'max', ARGV[3])
end
if ARGV[5] ~= '' then
  redis.call('PEXPIREAT', state, ARGV[5])
  redis.call('PEXPIREAT', joiners, ARGV[5])
end
return {'ok', tostring(uses), ARGV[2]}
