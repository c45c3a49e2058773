/**
 * The Lua scripts. One script call is one decision: Redis runs it atomically, so no other client
 * can act between the checks and the charges. Time comes from the server (TIME), never from the
 * client, so a replica with a skewed clock gains nothing. All arithmetic is on integers (µs for
 * GCRA, units for counters); Lua numbers are doubles, exact up to 2^53 (µs since the epoch fit).
 *
 * KEYS: one per check, all in one hash slot ({scope}).
 * ARGV: per check, seven values: kind, limit, period ms, burst, cost, a, b, where
 *   concurrency: a = lease id, b = lease ttl ms (slots are leases in a sorted set, scored by expiry)
 *   window (refund only): a = start of the window charged ('' for the current one)
 * A window counter is stored as "<window start>|<units>", so a refund never reaches into a later
 * window, and a counter left from an earlier window counts as zero.
 */

/** consume → { allowed (0|1), refusedBy (1-based, 0 if none), retryAfterMs, then per check: remaining, resetMs, windowStart } */
export const CONSUME = `
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = math.floor(now_us / 1000)
local n = #KEYS
local nxt, states = {}, {}
local refused, retry = 0, 0
for i = 1, n do
  local b = (i - 1) * 7
  local kind, limit, period, burst, cost = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  local ok, remaining, reset, wstart = false, 0, 0, 0
  if kind == 'gcra' then
    local cur = tonumber(redis.call('GET', KEYS[i]) or '0')
    local inc1 = math.ceil(period * 1000 / limit)
    local inc = math.ceil(cost * period * 1000 / limit)
    local cap = math.ceil(burst * period * 1000 / limit)
    local tat = math.max(cur, now_us)
    local new_tat = tat + inc
    ok = (new_tat - now_us) <= cap
    local after = ok and new_tat or tat
    remaining = math.max(0, math.floor((cap - (after - now_us)) / inc1))
    reset = math.ceil((after - now_us) / 1000)
    nxt[i] = new_tat
    if not ok and refused == 0 then retry = math.ceil((new_tat - now_us - cap) / 1000) end
  elseif kind == 'concurrency' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now_ms)
    local live = redis.call('ZCARD', KEYS[i])
    local taking = 0
    if cost > 0 and not redis.call('ZSCORE', KEYS[i], ARGV[b + 6]) then taking = 1 end
    ok = (live + taking) <= limit
    remaining = math.max(0, limit - (ok and (live + taking) or live))
    if not ok and refused == 0 then retry = 0 end
  else
    local cur = 0
    local v = redis.call('GET', KEYS[i])
    if kind == 'window' then
      wstart = math.floor(now_ms / period) * period
      if v then
        local sep = string.find(v, '|', 1, true)
        if not sep then cur = tonumber(v)
        elseif tonumber(string.sub(v, 1, sep - 1)) == wstart then cur = tonumber(string.sub(v, sep + 1)) end
      end
      reset = wstart + period - now_ms
    elseif v then cur = tonumber(v) end
    ok = (cur + cost) <= limit
    remaining = math.max(0, limit - (ok and (cur + cost) or cur))
    nxt[i] = cur + cost
    if not ok and refused == 0 then
      if kind == 'window' and cost <= limit then retry = reset else retry = 0 end
    end
  end
  if not ok and refused == 0 then refused = i end
  states[#states + 1] = remaining
  states[#states + 1] = reset
  states[#states + 1] = wstart
end
if refused > 0 then
  local out = {0, refused, retry}
  for j = 1, #states do out[#out + 1] = states[j] end
  return out
end
for i = 1, n do
  local b = (i - 1) * 7
  local kind, period, cost = ARGV[b + 1], tonumber(ARGV[b + 3]), tonumber(ARGV[b + 5])
  if kind == 'gcra' then
    redis.call('SET', KEYS[i], string.format('%.0f', nxt[i]), 'PX', math.max(1, math.ceil((nxt[i] - now_us) / 1000)))
  elseif kind == 'window' then
    local wstart = math.floor(now_ms / period) * period
    redis.call('SET', KEYS[i], wstart .. '|' .. string.format('%.0f', nxt[i]), 'PXAT', wstart + period)
  elseif kind == 'concurrency' then
    if cost > 0 then
      local ttl = tonumber(ARGV[b + 7])
      redis.call('ZADD', KEYS[i], now_ms + ttl, ARGV[b + 6])
      -- The key lives as long as its longest lease; each lease expires on its own (ZREMRANGEBYSCORE).
      if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
    end
  else
    redis.call('INCRBY', KEYS[i], cost)
  end
end
local out = {1, 0, 0}
for j = 1, #states do out[#out + 1] = states[j] end
return out
`;

/** refund: gives units back, never below zero, never into another window; releases leases by id; GCRA TAT never before now. */
export const REFUND = `
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = math.floor(now_us / 1000)
for i = 1, #KEYS do
  local b = (i - 1) * 7
  local kind, limit, period, cost = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 5])
  if kind == 'concurrency' then
    redis.call('ZREM', KEYS[i], ARGV[b + 6])
  else
    local cur = redis.call('GET', KEYS[i])
    if cur and cost > 0 then
      if kind == 'gcra' then
        local tat = math.max(now_us, tonumber(cur) - math.ceil(cost * period * 1000 / limit))
        redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.max(1, math.ceil((tat - now_us) / 1000)))
      elseif kind == 'window' then
        local wstart = math.floor(now_ms / period) * period
        if ARGV[b + 6] ~= '' then wstart = tonumber(ARGV[b + 6]) end
        local sep = string.find(cur, '|', 1, true)
        if sep and tonumber(string.sub(cur, 1, sep - 1)) == wstart then
          local v = math.max(0, tonumber(string.sub(cur, sep + 1)) - cost)
          redis.call('SET', KEYS[i], wstart .. '|' .. string.format('%.0f', v), 'KEEPTTL')
        end
      else
        redis.call('SET', KEYS[i], math.max(0, tonumber(cur) - cost), 'KEEPTTL')
      end
    end
  end
end
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
