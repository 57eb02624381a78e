-- Redeem invitations in one slot, atomically, one after the other: the redemptions of calls
-- that arrived together (or a single one), each seeing the ones before it, each exactly as it
-- would run alone.
-- KEYS[1] control hash (marker, rules), KEYS[2] event stream, KEYS[3] its expiry index,
-- KEYS[3 + i] the state hash of redemption i (all in one slot).
-- 10 arguments per redemption, redemption i's from ARGV[10 * i - 9]: joiner field
-- ('j:' .. joiner), now (unix ms), max uses ('' = none), keep for (ms, '' = forever), issued at
-- (unix s), inviter's rule field ('i:' .. inviter, or ''), inviter ('' = none), the events'
-- forget time (unix ms, '-1' never, '' from the state), invitation ID (hex), actor ('' = none).
-- A counted redemption logs `redeemed`, and `exhausted` when it was the last use.
-- Returns two values per redemption: uses, -1 (counted now) | uses, joined at (joined before) |
-- -1, -1 (revoked) | -2, -1 (used up) | 'E', the error (its own step failed; the others stand).
-- Numbers stay the strings they came as where they can: Redis formats a Lua number argument
-- with printf's %.17g, which costs more than the checks.
local n = #KEYS - 3
local fields = {'init', '*'}
for i = 1, n do
  fields[i + 2] = ARGV[10 * i - 4]
end
local ctl = redis.call('HMGET', KEYS[1], unpack(fields))
if not ctl[1] then
  return redis.error_reply('ADMIT_UNINIT no initialization marker')
end
local every = ctl[2]

local function redeem(i)
  local b = 10 * i - 10
  local key, joiner, now, max = KEYS[3 + i], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
  local rule = ctl[2 + i]
  if every or rule then
    local issued = tonumber(ARGV[b + 5]) * 1000
    if (every and issued < tonumber(every)) or (rule and issued < tonumber(rule)) then
      return -1, -1
    end
  end
  local s = redis.call('HMGET', key, 'rev', 'n', joiner)
  if s[1] then
    return -1, -1
  end
  if s[3] then
    return tonumber(s[2] or '0'), tonumber(s[3])
  end
  local uses = tonumber(s[2] or '0')
  if max ~= '' and uses >= tonumber(max) then
    return -2, -1
  end
  uses = uses + 1
  local u = string.format('%d', uses)
  local inviter, actor = ARGV[b + 7], ARGV[b + 10]
  if uses > 1 then
    redis.call('HSET', key, 'n', u, joiner, now)
  else
    -- The first redemption also records what status needs (limit, issue time, inviter) and
    -- sets the expiry, never shortening one already set.
    local keep = ARGV[b + 4]
    local ttl = redis.call('PTTL', key)
    redis.call('HSET', key, 'n', '1', joiner, now, 'max', max, 'iat', ARGV[b + 5],
      'inv', inviter)
    if keep ~= '' and ttl < tonumber(keep) then
      redis.call('PEXPIRE', key, keep)
    end
  end
  local forget = ARGV[b + 8]
  if forget == '' then
    forget = admit_forget(key, tonumber(now), 0, '') or ''
  elseif forget == '-1' then
    forget = ''
  end
  -- Every field, '' where there is no value (readers take '' as absent): entries with one
  -- set of names are stored without their names, and no list is built for them.
  local id = ARGV[b + 9]
  admit_index(KEYS[2], KEYS[3], now, forget, redis.call('XADD', KEYS[2], '*', 'k', '2',
    'w', now, 'i', id, 'v', inviter, 'a', actor, 'j', string.sub(joiner, 3), 'u', u, 'm', max,
    'f', forget))
  if max ~= '' and uses >= tonumber(max) then
    admit_index(KEYS[2], KEYS[3], now, forget, redis.call('XADD', KEYS[2], '*', 'k', '3',
      'w', now, 'i', id, 'v', inviter, 'a', actor, 'm', max, 'f', forget))
  end
  return uses, -1
end

local out = {}
for i = 1, n do
  local ok, a, b = pcall(redeem, i)
  if ok then
    out[2 * i - 1], out[2 * i] = a, b
  else
    out[2 * i - 1] = 'E'
    out[2 * i] = type(a) == 'table' and (a.err or 'ERR') or tostring(a)
  end
end
return out
