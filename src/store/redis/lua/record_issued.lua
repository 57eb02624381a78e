-- Record registry details of a minted (verified) invitation.
-- KEYS[1] control hash, KEYS[2] state hash (same slot)
-- ARGV[1] issued at (unix s)  ARGV[2] expires at (unix ms, '')  ARGV[3] max uses ('')
-- ARGV[4] inviter ('')  ARGV[5] email ('')  ARGV[6] description ('')  ARGV[7] keep for (ms, '')
-- KEYS[3] event stream, KEYS[4] its expiry index   ARGV[8] now (unix ms)   ARGV[9] actor ('')
-- ARGV[10] the event's forget time (unix ms, '-1' never)   ARGV[11] invitation ID (hex).
-- Logs `issued`.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local ttl = redis.call('PTTL', KEYS[2])
redis.call('HSET', KEYS[2], 'reg', '1', 'iat', ARGV[1], 'exp', ARGV[2], 'max', ARGV[3],
  'inv', ARGV[4], 'email', ARGV[5], 'desc', ARGV[6])
-- The expiry comes from a verified invitation: set it, unless the state is kept longer.
if ARGV[7] ~= '' and ttl < tonumber(ARGV[7]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
local now = tonumber(ARGV[8])
admit_log(KEYS[3], KEYS[4], now, admit_forget(KEYS[2], now, 0, ARGV[10]),
  {'k', 0, 'w', ARGV[8], 'i', ARGV[11], 'v', ARGV[4], 'a', ARGV[9], 'm', ARGV[3], 't', ARGV[2],
   'e', ARGV[5], 'n', ARGV[6]})
return 1
