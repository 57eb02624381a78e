-- Count one attempt in a fixed window.
-- KEYS[1] control hash, KEYS[2] counter for (client, window) (same slot)
-- ARGV[1] time left in the window (ms)
-- Returns the number of attempts in this window, this one included.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local n = redis.call('INCR', KEYS[2])
if n == 1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return n
