-- Register a short code, unless it is taken.
-- KEYS[1] control hash, KEYS[2] code key (same slot)
-- ARGV[1] token text   ARGV[2] keep for (ms, '' = forever)
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
  return 1
end
return 0
