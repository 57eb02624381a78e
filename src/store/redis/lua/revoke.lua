-- Revoke one invitation, keeping the mark at least as long as it matters.
-- KEYS[1] control hash, KEYS[2] state hash (same slot)
-- ARGV[1] now (unix ms)   ARGV[2] keep for (ms, '' = as long as the state, or forever)
-- KEYS[3] event stream, KEYS[4] its expiry index   ARGV[3] actor ('')   ARGV[4] keep events
-- at least (ms)   ARGV[5] invitation ID (hex). A new revocation logs `revoked`.
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
if newly == 1 then
  local now = tonumber(ARGV[1])
  local inviter = redis.call('HGET', KEYS[2], 'inv') or ''
  admit_log(KEYS[3], KEYS[4], now, admit_forget(KEYS[2], now, tonumber(ARGV[4]), ''),
    {'k', 4, 'w', ARGV[1], 'i', ARGV[5], 'v', inviter, 'a', ARGV[3]})
end
return newly
