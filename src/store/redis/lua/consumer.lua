-- Read or replace the record of a follower of the event log (a webhook endpoint).
-- KEYS[1] control hash, KEYS[2] consumer hash (same slot): `v` version, `r` record
-- ARGV[1] '' to read; else the version the writer read ('0': none yet)   ARGV[2] new record
-- Returns {version, record} (read; {0, ''} when there is none) | 1 replaced | 0 changed since.
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local current = redis.call('HMGET', KEYS[2], 'v', 'r')
local version = tonumber(current[1] or '0')
if ARGV[1] == '' then
  return {version, current[2] or ''}
end
if version ~= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[2], 'v', version + 1, 'r', ARGV[2])
return 1
