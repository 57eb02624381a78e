-- Revoke one invitation, keeping the mark at least as long as it matters.
-- KEYS[1] control hash, KEYS[2] state hash (same slot)
-- ARGV[1] now (unix ms)   ARGV[2] keep for (ms, '' = as long as the state, or forever)
-- Returns 1 if newly revoked, 0 if it already was.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local ttl = redis.call('PTTL', KEYS[2]) -- -2: no state, -1: kept forever, else ms left
local newly = redis.call('HSETNX', KEYS[2], 'rev', ARGV[1])
-- Only ever lengthen: the expiry given here may be less trustworthy than the one the state
-- got from a verified invitation. New state with no expiry given is kept forever.
if ARGV[2] ~= '' and (ttl == -2 or (ttl >= 0 and ttl < tonumber(ARGV[2]))) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return newly
