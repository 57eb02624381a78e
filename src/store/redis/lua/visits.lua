-- The visits of an invitation, newest first.   KEYS[1] control hash, KEYS[2] visits list
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
return redis.call('LRANGE', KEYS[2], 0, -1)
