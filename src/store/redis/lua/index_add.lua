-- Add an invitation to a registry index and to its newest-first twin, and drop entries whose
-- state is gone from both.
-- KEYS[1] sorted set of invitation IDs, scored by expiry (unix ms; 'inf' = never)
-- KEYS[2] the same IDs scored by issue time (unix ms), for newest-first pages (same slot)
-- ARGV[1] id   ARGV[2] score   ARGV[3] drop scores below (unix ms)   ARGV[4] margin (ms)
-- ARGV[5] now (unix ms)   ARGV[6] issue time (unix ms)
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
-- What expired past the margin leaves both sets (ZREM takes a bounded number at a time).
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
for i = 1, #gone, 500 do
  redis.call('ZREM', KEYS[2], unpack(gone, i, math.min(i + 499, #gone)))
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
elseif last[2] then
  -- A relative expiry, so Redis's own clock does not matter.
  local ttl = math.max(tonumber(last[2]) + tonumber(ARGV[4]) - tonumber(ARGV[5]), 1)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
