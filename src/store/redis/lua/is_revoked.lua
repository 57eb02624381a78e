-- Was this ID revoked with revoke()?   KEYS[1] control hash, KEYS[2] state hash (same slot)
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
return redis.call('HEXISTS', KEYS[2], 'rev')
