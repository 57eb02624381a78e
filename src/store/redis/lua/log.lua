-- The event log (docs/events.md), shared by every script that records a fact: the event goes
-- into the log stream of the script's own slot in the same atomic step as the fact.

-- When an event about the state in `key` may go (unix ms; nil: never). `given` is the time the
-- caller worked out ('-1': never), returned as it came; '' asks the state's own expiry, or
-- `keep` ms after `now` if that is later.
local function admit_forget(key, now, keep, given)
  if given ~= '' then
    if string.sub(given, 1, 1) == '-' then
      return nil
    end
    return given
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

-- Adds to `entry` each name and value of `list` (a flat list of names and values) whose value
-- is not ''.
local function admit_optional(entry, list)
  for i = 1, #list, 2 do
    if list[i + 1] ~= '' then
      entry[#entry + 1] = list[i]
      entry[#entry + 1] = list[i + 1]
    end
  end
end

-- Appends the event `entry` (a flat list of names and values) and, if it is forgotten at some
-- time, indexes it. The index (a sorted set of stream IDs by forget time) lets appends drop
-- the events whose time has passed (up to 16, once per millisecond), so the stream stays about
-- as long as the events still kept.
local function admit_append(stream, index, now, forget, entry)
  if forget then
    entry[#entry + 1] = 'f'
    entry[#entry + 1] = forget
  end
  local id = redis.call('XADD', stream, '*', unpack(entry))
  if forget then
    redis.call('ZADD', index, forget, id)
  end
  -- Once per millisecond of the stream (its first entry then), up to 16 whose time passed.
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
  admit_optional(entry, fields)
  return admit_append(stream, index, now, forget, entry)
end
