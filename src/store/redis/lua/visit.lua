-- Record a visit, keeping only the newest ones.
-- KEYS[1] control hash, KEYS[2] visits list (same slot)
-- ARGV[1] entry   ARGV[2] cap   ARGV[3] keep for (ms, '' = forever)
-- KEYS[3] state hash (its inviter), KEYS[4] event stream, KEYS[5] its expiry index
-- ARGV[4] now (unix ms)   ARGV[5] metadata   ARGV[6] actor ('')   ARGV[7] the event's forget
-- time (unix ms, '-1' never)   ARGV[8] invitation ID (hex). Logs `visited`.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if ARGV[3] ~= '' then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
local now = tonumber(ARGV[4])
local inviter = redis.call('HGET', KEYS[3], 'inv') or ''
admit_log(KEYS[4], KEYS[5], now, admit_forget(KEYS[2], now, 0, ARGV[7]),
  {'k', 1, 'w', ARGV[4], 'i', ARGV[8], 'v', inviter, 'a', ARGV[6], 'n', ARGV[5]})
return 1
