-- Everything about one invitation, with the rules that could revoke it.
-- KEYS[1] control hash, KEYS[2] state hash (same slot)
-- Returns {everyone's cut-off or '', the inviter's cut-off or '', field, value, ...}
if redis.call('HEXISTS', KEYS[1], 'init') == 0 then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local state = redis.call('HGETALL', KEYS[2])
local inviter = redis.call('HGET', KEYS[2], 'inv')
local field = '*'
if inviter and inviter ~= '' then
  field = 'i:' .. inviter
end
local rules = redis.call('HMGET', KEYS[1], '*', field)
table.insert(state, 1, rules[2] or '')
table.insert(state, 1, rules[1] or '')
return state
