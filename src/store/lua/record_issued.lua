-- Record registry details of a minted invitation.
-- KEYS[1] state hash
-- ARGV[1] issued at (unix s)  ARGV[2] expires at (unix ms, '')  ARGV[3] max uses ('')
-- ARGV[4] inviter ('')  ARGV[5] email ('')  ARGV[6] description ('')  ARGV[7] forget at (ms, '')
redis.call('HSET', KEYS[1], 'reg', '1', 'iat', ARGV[1], 'exp', ARGV[2], 'max', ARGV[3],
  'inv', ARGV[4], 'email', ARGV[5], 'desc', ARGV[6])
if ARGV[7] ~= '' then
  redis.call('PEXPIREAT', KEYS[1], ARGV[7])
end
return 1
