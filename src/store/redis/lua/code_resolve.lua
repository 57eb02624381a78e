-- The token behind a short code (nil if none).   KEYS[1] control hash, KEYS[2] code key
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
return redis.call('GET', KEYS[2])
