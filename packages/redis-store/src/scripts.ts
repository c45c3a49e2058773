/**
 * The Lua scripts. One script call is one decision: Redis runs it atomically, so no other client
 * can act between the checks and the charges. Time comes from the server (TIME), never from the
 * client, so a replica with a skewed clock gains nothing.
 *
 * Budget counters of one scope live in one hash (`KEYS[1]`, the scope's slot), so a decision is
 * one TIME, one HMGET and one HSET whatever the number of limits: each redis.call costs about a
 * microsecond of server time, which is most of a decision (docs/benchmarks.md). Fields:
 *   `<key>` and `<key>@`   gcra: units owed and when (ms) they were owed; window: units used and
 *                          the window's start (a counter of an earlier window counts as zero, and
 *                          a refund never reaches into a later one); total: units used (no `@`).
 *   `~exp`                 the expiry set on the hash (ms since the epoch; -1: never, a total is
 *                          held): the hash is given a later expiry only when a counter needs it,
 *                          about once per period, not on every decision.
 * GCRA is kept as a debt in units draining at `limit` per period, not a theoretical arrival time in
 * whole µs: no clock resolution caps the rate. Concurrency slots are leases in a sorted set of their
 * own (`KEYS[1 + j]` for the j-th concurrency check, same slot), scored by expiry.
 *
 * ARGV, per check, eight values: kind, key, limit, period ms, burst, cost, a, b, where
 *   concurrency: a = lease id, b = lease ttl ms
 *   window (refund only): a = start of the window charged ('' for the current one)
 */

/** consume → { allowed (0|1), refusedBy (1-based, 0 if none), retryAfterMs, nowMs, then per check: remaining, resetMs } */
export const CONSUME = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = KEYS[1]
local n = #ARGV / 8
local fields = {'~exp'}
for i = 1, n do
  local b = (i - 1) * 8
  local kind, key = ARGV[b + 1], ARGV[b + 2]
  if kind ~= 'concurrency' then
    fields[#fields + 1] = key
    fields[#fields + 1] = key .. '@'
  end
end
local got = redis.call('HMGET', h, unpack(fields))
local exp = tonumber(got[1])
local out = {1, 0, 0, now}
local nxt, at = {}, {}
local refused, retry, z, f = 0, 0, 1, 2
local need, total = 0, false
for i = 1, n do
  local b = (i - 1) * 8
  local kind, limit, period, burst, cost = ARGV[b + 1], tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6])
  local ok, remaining, reset = false, 0, 0
  if kind == 'concurrency' then
    z = z + 1
    redis.call('ZREMRANGEBYSCORE', KEYS[z], '-inf', now)
    local live = redis.call('ZCARD', KEYS[z])
    local taking = 0
    if cost > 0 and not redis.call('ZSCORE', KEYS[z], ARGV[b + 7]) then taking = 1 end
    ok = (live + taking) <= limit
    remaining = math.max(0, limit - (ok and (live + taking) or live))
  else
    local v, w = tonumber(got[f]), tonumber(got[f + 1])
    f = f + 2
    if kind == 'gcra' then
      local owed = 0
      if v and w then owed = math.max(0, v - (now - w) * limit / period) end
      local after = owed + cost
      ok = after <= burst
      local held = ok and after or owed
      remaining = math.max(0, math.floor(burst - held))
      reset = math.ceil(held * period / limit)
      if not ok and refused == 0 then retry = math.ceil((after - burst) * period / limit) end
      nxt[i], at[i] = after, now
      need = math.max(need, now + math.ceil(after * period / limit) + period)
    elseif kind == 'window' then
      local start = now - now % period
      local used = 0
      if v and w == start then used = v end
      ok = (used + cost) <= limit
      remaining = math.max(0, limit - (ok and (used + cost) or used))
      reset = start + period - now
      if not ok and refused == 0 and cost <= limit then retry = reset end
      nxt[i], at[i] = used + cost, start
      need = math.max(need, start + period)
    else
      local used = v or 0
      ok = (used + cost) <= limit
      remaining = math.max(0, limit - (ok and (used + cost) or used))
      nxt[i] = used + cost
      total = true
    end
  end
  if not ok and refused == 0 then refused = i end
  out[#out + 1] = remaining
  out[#out + 1] = reset
end
if refused > 0 then
  out[1], out[2], out[3] = 0, refused, retry
  return out
end
local set = {}
z = 1
for i = 1, n do
  local b = (i - 1) * 8
  local kind, key, cost = ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 6])
  if kind == 'concurrency' then
    z = z + 1
    if cost > 0 then
      local ttl = tonumber(ARGV[b + 8])
      redis.call('ZADD', KEYS[z], now + ttl, ARGV[b + 7])
      -- The set lives as long as its longest lease; each lease expires on its own (ZREMRANGEBYSCORE).
      if redis.call('PTTL', KEYS[z]) < ttl then redis.call('PEXPIRE', KEYS[z], ttl) end
    end
  elseif cost > 0 then
    -- Numbers go to Redis as they are (it writes them with %.17g: exact round trips).
    set[#set + 1] = key
    set[#set + 1] = nxt[i]
    if at[i] then
      set[#set + 1] = key .. '@'
      set[#set + 1] = at[i]
    end
  end
end
if #set > 0 then
  if total then
    if exp ~= -1 then set[#set + 1] = '~exp'; set[#set + 1] = -1 end
  elseif exp == nil or need > exp then
    -- Later than needed, so that it is set about once per period rather than on every decision.
    set[#set + 1] = '~exp'
    set[#set + 1] = need
  end
  redis.call('HSET', h, unpack(set))
  if total then
    if exp ~= -1 then redis.call('PERSIST', h) end
  elseif exp == nil or need > exp then
    redis.call('PEXPIREAT', h, need)
  end
end
return out
`;

/** refund: gives units back, never below zero, never into another window; releases leases by id; a GCRA debt never below nothing owed now. */
export const REFUND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = KEYS[1]
local n = #ARGV / 8
local fields = {'~exp'}
for i = 1, n do
  local b = (i - 1) * 8
  if ARGV[b + 1] ~= 'concurrency' then
    fields[#fields + 1] = ARGV[b + 2]
    fields[#fields + 1] = ARGV[b + 2] .. '@'
  end
end
local got = redis.call('HMGET', h, unpack(fields))
local set = {}
local z, f = 1, 2
for i = 1, n do
  local b = (i - 1) * 8
  local kind, key, limit, period, cost = ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 6])
  if kind == 'concurrency' then
    z = z + 1
    redis.call('ZREM', KEYS[z], ARGV[b + 7])
  else
    local v, w = tonumber(got[f]), tonumber(got[f + 1])
    f = f + 2
    -- Only counters that exist (the hash has its expiry): a refund never creates state.
    if v and got[1] and cost > 0 then
      if kind == 'gcra' then
        local owed = 0
        if w then owed = math.max(0, v - (now - w) * limit / period) end
        set[#set + 1] = key
        set[#set + 1] = math.max(0, owed - cost)
        set[#set + 1] = key .. '@'
        set[#set + 1] = now
      elseif kind == 'window' then
        local start = now - now % period
        if ARGV[b + 7] ~= '' then start = tonumber(ARGV[b + 7]) end
        if w == start then
          set[#set + 1] = key
          set[#set + 1] = math.max(0, v - cost)
        end
      else
        set[#set + 1] = key
        set[#set + 1] = math.max(0, v - cost)
      end
    end
  end
end
if #set > 0 then redis.call('HSET', h, unpack(set)) end
return 1
`;

/**
 * detect: one DetectorStore update (stores/detector.ts in @bulwark/core). KEYS: one per op, all
 * in the scope's slot. ARGV: per op, `kind, p1, p2, n, item1 … itemN`:
 *   decay     p1 = amount to add, p2 = half-life ms            → { value as a string }
 *   append    p1 = max, p2 = ttl ms, items                      → { items before the append }
 *   remember  p1 = max, p2 = ttl ms, members                    → { 1|0 per member: seen }
 * A key holding another type (another kind of state) is started afresh. Remembered members are
 * scored by time in µs, strictly increasing within a key (max(now, newest + 1)), so "oldest" is
 * well defined even within one microsecond; the set forgets members older than the ttl.
 */
export const DETECT = `
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = math.floor(now_us / 1000)
local out = {}
local a = 1
for i = 1, #KEYS do
  local k = KEYS[i]
  local kind, p1, p2, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local first = a + 4
  a = first + n
  local want = (kind == 'decay' and 'string') or (kind == 'append' and 'list') or 'zset'
  local have = redis.call('TYPE', k)['ok']
  if have ~= 'none' and have ~= want then redis.call('DEL', k) end
  if kind == 'decay' then
    local v, at = 0, now_ms
    local cur = redis.call('GET', k)
    if cur then
      local sep = string.find(cur, '|', 1, true)
      v = tonumber(string.sub(cur, 1, sep - 1))
      at = tonumber(string.sub(cur, sep + 1))
    end
    if now_ms > at then v = v * 2 ^ (-(now_ms - at) / p2) end
    v = v + tonumber(p1)
    redis.call('SET', k, string.format('%.17g', v) .. '|' .. now_ms, 'PX', 20 * p2)
    out[i] = { string.format('%.17g', v) }
  elseif kind == 'append' then
    local max = tonumber(p1)
    out[i] = redis.call('LRANGE', k, 0, -1)
    if n > 0 then
      for j = first, first + n - 1 do redis.call('RPUSH', k, ARGV[j]) end
      redis.call('LTRIM', k, -max, -1)
    end
    if n > 0 or #out[i] > 0 then redis.call('PEXPIRE', k, p2) end
  else
    local max = tonumber(p1)
    local ttl_us = p2 * 1000
    redis.call('ZREMRANGEBYSCORE', k, '-inf', now_us - ttl_us)
    local newest = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
    local score = now_us
    if newest[2] and tonumber(newest[2]) >= score then score = tonumber(newest[2]) + 1 end
    local seen = {}
    for j = first, first + n - 1 do
      seen[#seen + 1] = redis.call('ZSCORE', k, ARGV[j]) and 1 or 0
    end
    for j = first, first + n - 1 do
      redis.call('ZADD', k, string.format('%.0f', score), ARGV[j])
      score = score + 1
    end
    local card = redis.call('ZCARD', k)
    if card > max then redis.call('ZREMRANGEBYRANK', k, 0, card - max - 1) end
    if card > 0 then redis.call('PEXPIRE', k, p2) end
    out[i] = seen
  end
end
return out
`;
