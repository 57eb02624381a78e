-- One page of registry IDs, with their scores, and the rules to judge them by.
-- KEYS[1] control hash, KEYS[2] registry index (same slot), scored by expiry (unix ms; 'inf')
-- ARGV[1] list only scores above this   ARGV[2] limit
-- ARGV[3] start after this score ('' = from the start)   ARGV[4] ... and after this ID
-- Returns {{id, score, ...}, {rule field, cut-off, ...}}
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
-- IDs are hex of one length; compare bytes, not by the server's locale.
local function greater(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x > y
    end
  end
  return #a > #b
end
local start = redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[1])
if ARGV[3] ~= '' then
  -- Members of one score are in ID order: find the first after the cursor's ID.
  local lo = redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. ARGV[3])
  local hi = lo + redis.call('ZCOUNT', KEYS[2], ARGV[3], ARGV[3])
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if greater(redis.call('ZRANGE', KEYS[2], mid, mid)[1], ARGV[4]) then
      hi = mid
    else
      lo = mid + 1
    end
  end
  if lo > start then
    start = lo
  end
end
local ids = redis.call('ZRANGE', KEYS[2], start, start + tonumber(ARGV[2]) - 1, 'WITHSCORES')
local rules = redis.call('HGETALL', KEYS[1])
return {ids, rules}
