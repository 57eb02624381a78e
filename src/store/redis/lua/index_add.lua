-- Add an invitation to a registry index, and drop entries whose state is gone.
-- KEYS[1] sorted set of invitation IDs, scored by expiry (unix ms; 'inf' = never)
-- ARGV[1] id   ARGV[2] score   ARGV[3] drop scores below (unix ms)   ARGV[4] margin (ms)
-- ARGV[5] now (unix ms)
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
elseif last[2] then
  -- A relative expiry, so Redis's own clock does not matter.
  local ttl = tonumber(last[2]) + tonumber(ARGV[4]) - tonumber(ARGV[5])
  redis.call('PEXPIRE', KEYS[1], math.max(ttl, 1))
end
return 1
