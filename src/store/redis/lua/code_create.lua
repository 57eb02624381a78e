-- Register a short code, unless it is taken.
-- KEYS[1] control hash, KEYS[2] code key (same slot)
-- ARGV[1] token text   ARGV[2] keep for (ms, '' = forever)
-- KEYS[3] event stream, KEYS[4] its expiry index   ARGV[3] now (unix ms)   ARGV[4] actor ('')
-- ARGV[5] the event's forget time (unix ms, '-1' never)   ARGV[6] invitation ID (hex)
-- ARGV[7] inviter ('')
-- A new code logs `code_created` (without the code, which works like the token).
-- Returns 1 if created, 0 if taken.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local set
if ARGV[2] ~= '' then
  set = redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2])
else
  set = redis.call('SET', KEYS[2], ARGV[1], 'NX')
end
if set then
  local now = tonumber(ARGV[3])
  admit_log(KEYS[3], KEYS[4], now, admit_forget(KEYS[2], now, 0, ARGV[5]),
    {'k', 6, 'w', ARGV[3], 'i', ARGV[6], 'v', ARGV[7], 'a', ARGV[4]})
  return 1
end
return 0
