-- Redeem an invitation for one joiner, atomically.
-- KEYS[1] control hash (marker, rules; same slot), KEYS[2] state hash
-- ARGV[1] joiner field ('j:' .. joiner)   ARGV[2] now (unix ms)   ARGV[3] max uses ('' = none)
-- ARGV[4] keep for (ms, '' = forever)   ARGV[5] issued at (unix s)
-- ARGV[6] inviter's rule field ('i:' .. inviter, or '')   ARGV[7] inviter ('' = none)
-- KEYS[3] event stream, KEYS[4] its expiry index (same slot)   ARGV[8] actor ('' = none)
-- ARGV[9] the events' forget time (unix ms, '-1' never)   ARGV[10] invitation ID (hex)
-- A counted redemption logs `redeemed`, and `exhausted` when it was the last use.
-- Returns uses (counted now) | {uses, joined at} (joined before) | -1 revoked | -2 used up.
-- Integer replies: building a table of strings for the reply costs more than the checks.
local ctl = redis.call('HMGET', KEYS[1], 'init', '*', ARGV[6])
if not ctl[1] then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
if ctl[2] or ctl[3] then
  local issued = tonumber(ARGV[5]) * 1000
  if (ctl[2] and issued < tonumber(ctl[2])) or (ctl[3] and issued < tonumber(ctl[3])) then
    return -1
  end
end
local s = redis.call('HMGET', KEYS[2], 'rev', 'n', ARGV[1])
if s[1] then
  return -1
end
if s[3] then
  return {tonumber(s[2] or '0'), tonumber(s[3])}
end
local uses = tonumber(s[2] or '0')
if ARGV[3] ~= '' and uses >= tonumber(ARGV[3]) then
  return -2
end
uses = uses + 1
if uses > 1 then
  redis.call('HSET', KEYS[2], 'n', uses, ARGV[1], ARGV[2])
else
  -- The first redemption also records what status needs (limit, issue time, inviter) and
  -- sets the expiry, never shortening one already set.
  local ttl = redis.call('PTTL', KEYS[2])
  redis.call('HSET', KEYS[2], 'n', 1, ARGV[1], ARGV[2], 'max', ARGV[3], 'iat', ARGV[5],
    'inv', ARGV[7])
  if ARGV[4] ~= '' and ttl < tonumber(ARGV[4]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
  end
end
local now = tonumber(ARGV[2])
local forget = admit_forget(KEYS[2], now, 0, ARGV[9])
admit_log(KEYS[3], KEYS[4], now, forget, {'k', 2, 'w', ARGV[2], 'i', ARGV[10], 'v', ARGV[7],
  'a', ARGV[8], 'j', string.sub(ARGV[1], 3), 'u', uses, 'm', ARGV[3]})
if ARGV[3] ~= '' and uses >= tonumber(ARGV[3]) then
  admit_log(KEYS[3], KEYS[4], now, forget, {'k', 3, 'w', ARGV[2], 'i', ARGV[10], 'v', ARGV[7],
    'a', ARGV[8], 'm', ARGV[3]})
end
return uses
