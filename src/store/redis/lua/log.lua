-- The event log (docs/events.md), shared by every script that records a fact: the event goes
-- into the log stream of the script's own slot in the same atomic step as the fact.

-- When an event about the state in `key` may go (unix ms; nil: never). `given` is the time the
-- caller worked out ('-1': never); '' asks the state's own expiry, or `keep` ms after `now` if
-- that is later.
local function admit_forget(key, now, keep, given)
  if given ~= '' then
    local t = tonumber(given)
    if t < 0 then
      return nil
    end
    return t
  end
  local pttl = redis.call('PTTL', key)
  if pttl == -1 then
    return nil
  end
  if pttl < 0 then
    pttl = 0
  end
  return now + math.max(pttl, keep)
end

-- Indexes the event `id` just appended to `stream` by its forget time (nil or '': never), and
-- sweeps: the index (a sorted set of stream IDs by forget time) lets appends drop the events
-- whose time has passed (up to 16, once per millisecond: by the first entry of each), so the
-- stream stays about as long as the events still kept.
local function admit_index(stream, index, now, forget, id)
  if forget and forget ~= '' then
    redis.call('ZADD', index, forget, id)
  end
  if string.sub(id, -2) == '-0' then
    local gone = redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, 16)
    if #gone > 0 then
      redis.call('XDEL', stream, unpack(gone))
      redis.call('ZREM', index, unpack(gone))
    end
  end
  return id
end

-- Appends an event: `fields` is a flat list of names and values, '' values left out.
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
  return admit_index(stream, index, now, forget, redis.call('XADD', stream, '*', unpack(entry)))
end
