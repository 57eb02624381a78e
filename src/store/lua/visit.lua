-- Record a visit, keeping only the newest ones.
-- KEYS[1] visits list   ARGV[1] entry   ARGV[2] cap   ARGV[3] forget at (unix ms, '' = never)
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if ARGV[3] ~= '' then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
return 1
