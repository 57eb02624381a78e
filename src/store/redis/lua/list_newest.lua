-- One page of registry IDs, newest first, with their scores, and the rules to judge them by.
-- KEYS[1] control hash, KEYS[2] newest-first index (same slot), scored by issue time (unix ms)
-- ARGV[1] limit   ARGV[2] start after this score ('' = from the start)   ARGV[3] ... and
-- after this ID (IDs of one score come highest first)
-- Returns {{id, score, ...}, {rule field, cut-off, ...}}
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
-- IDs are hex of one length; compare bytes, not by the server's locale.
local function less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end
-- `start` counts the members that come before the cursor in newest-first order: every one
-- with a higher score, and those of the cursor's score whose ID is not below the cursor's.
local start = 0
if ARGV[2] ~= '' then
  local above = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[2], '+inf')
  local same = redis.call('ZCOUNT', KEYS[2], ARGV[2], ARGV[2])
  -- The cursor's score, in ascending ranks [first, first + same), IDs ascending.
  local first = redis.call('ZCARD', KEYS[2]) - above - same
  local lo, hi = first, first + same
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if less(redis.call('ZRANGE', KEYS[2], mid, mid)[1], ARGV[3]) then
      lo = mid + 1
    else
      hi = mid
    end
  end
  start = above + (first + same - lo)
end
local ids = redis.call('ZREVRANGE', KEYS[2], start, start + tonumber(ARGV[1]) - 1, 'WITHSCORES')
local rules = redis.call('HGETALL', KEYS[1])
return {ids, rules}
