-- Record a visit, keeping only the newest ones.
-- KEYS[1] control hash, KEYS[2] visits list (same slot)
-- ARGV[1] entry   ARGV[2] cap   ARGV[3] keep for (ms, '' = forever)
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if ARGV[3] ~= '' then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1
