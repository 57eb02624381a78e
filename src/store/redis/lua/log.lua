-- The event log (docs/events.md), shared by every script that records a fact: the event goes
-- into the log stream of the script's own slot in the same atomic step as the fact.

-- When an event about the state in `key` may go (unix ms; nil: never): with that state, or
-- `keep` ms after `now` if that is later.
local function admit_forget(key, now, keep)
  local pttl = redis.call('PTTL', key)
  if pttl == -1 then
    return nil
  end
  if pttl < 0 then
    pttl = 0
  end
  return now + math.max(pttl, keep)
end

-- Appends an event: `fields` is a flat list of names and values, '' values left out. The
-- index (a sorted set of stream IDs by forget time) lets each append drop up to four events
-- whose time has passed, so the stream stays as long as the events still kept.
local function admit_log(stream, index, now, forget, fields)
  local entry = {}
  for i = 1, #fields, 2 do
    local value = fields[i + 1]
    if value ~= '' then
      entry[#entry + 1] = fields[i]
      entry[#entry + 1] = value
    end
  end
  if forget then
    entry[#entry + 1] = 'f'
    entry[#entry + 1] = forget
  end
  local id = redis.call('XADD', stream, '*', unpack(entry))
  if forget then
    redis.call('ZADD', index, forget, id)
  end
  local gone = redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, 4)
  if #gone > 0 then
    redis.call('XDEL', stream, unpack(gone))
    redis.call('ZREM', index, unpack(gone))
  end
  return id
end

