-- Revoke one invitation, keeping the mark exactly as long as it matters.
-- KEYS[1] state hash
-- ARGV[1] now (unix ms)   ARGV[2] forget at (unix ms, '' = unknown)
-- Returns 1 if newly revoked, 0 if it already was.
local before = redis.call('PTTL', KEYS[1]) -- -2: no state, -1: kept forever, else ms left
local newly = redis.call('HSETNX', KEYS[1], 'rev', ARGV[1])
if ARGV[2] ~= '' then
  local left = tonumber(ARGV[2]) - tonumber(ARGV[1])
  if before == -2 or (before >= 0 and before < left) then
    redis.call('PEXPIREAT', KEYS[1], ARGV[2])
  end
end
-- Otherwise: new state stays forever (its expiry is unknown); existing state keeps its expiry.
return newly
