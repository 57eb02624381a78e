-- Count one attempt in a fixed window.
-- KEYS[1] counter for (client, window)   ARGV[1] window end (unix ms)
-- Returns the number of attempts in this window, this one included.
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIREAT', KEYS[1], ARGV[1])
end
return n
