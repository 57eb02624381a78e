-- Initialize a control hash: write the marker if missing and raise rules, in one step, so no
-- call can run between the marker appearing and the rules that must come with it.
-- KEYS[1] control hash   ARGV[1] now (unix ms)   ARGV[2..] rule field, cut-off (unix ms), ...
-- Returns 1 if the marker was written now, 0 if it was there.
local fresh = redis.call('HSETNX', KEYS[1], 'init', ARGV[1])
for i = 2, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(current) < tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return fresh
