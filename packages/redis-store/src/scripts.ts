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
 * ARGV: first F, the number of hash fields the checks read (two per limit that is not a
 * concurrency slot), then those F field names in check order (`<key>`, `<key>@`), so that HMGET
 * takes them as they are (no table or string built in Lua), then per check five values, kind,
 * limit, period ms, burst, cost, and by kind:
 *   concurrency: two more, the lease id and its ttl ms;
 *   window: one more, the start of the window charged (refunds; '' for the current one).
 * Every argument costs the script about 0.1 µs (Redis builds ARGV as Lua strings), so none is sent
 * that the kind does not use.
 */

/** consume → { allowed (0|1), refusedBy (1-based, 0 if none), retryAfterMs, nowMs, then per check: remaining, resetMs } */
export const CONSUME = `
local floor, ceil = math.floor, math.ceil
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000)
local h = KEYS[1]
local nf = tonumber(ARGV[1])
local got = redis.call('HMGET', h, '~exp', unpack(ARGV, 2, nf + 1))
local exp = tonumber(got[1])
local out = {1, 0, 0, now}
-- The HSET arguments are built in the same pass: thrown away if a check refuses.
local set, k = {}, 0
local leases
local refused, retry, z, f, i = 0, 0, 1, 2, 0
local need, target, total = 0, 0, false
local b, last = nf + 1, #ARGV
while b < last do
  i = i + 1
  local kind, limit, period, cost = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 5])
  local ok, remaining, reset = false, 0, 0
  if kind == 'gcra' then
    local burst = tonumber(ARGV[b + 4])
    local v, w = tonumber(got[f]), tonumber(got[f + 1])
    local owed = 0
    if v and w then
      owed = v - (now - w) * limit / period
      if owed < 0 then owed = 0 end
    end
    local after = owed + cost
    ok = after <= burst
    local held = ok and after or owed
    remaining = floor(burst - held)
    if remaining < 0 then remaining = 0 end
    reset = ceil(held * period / limit)
    if not ok and refused == 0 then retry = ceil((after - burst) * period / limit) end
    if cost > 0 then
      -- Numbers go to Redis as they are (written with 17 significant digits: exact round trips).
      set[k + 1], set[k + 2], set[k + 3], set[k + 4] = ARGV[f], after, ARGV[f + 1], now
      k = k + 4
      local keep = now + ceil(after * period / limit) + period
      if keep > need then need = keep end
      -- Extended one more period ahead, so a steady caller pushes it back once a period, not on every decision.
      if keep + period > target then target = keep + period end
    end
    f = f + 2
    b = b + 5
  elseif kind == 'window' then
    local v, w = tonumber(got[f]), tonumber(got[f + 1])
    local start = now - now % period
    local used = 0
    if v and w == start then used = v end
    ok = (used + cost) <= limit
    remaining = limit - (ok and (used + cost) or used)
    if remaining < 0 then remaining = 0 end
    reset = start + period - now
    if not ok and refused == 0 and cost <= limit then retry = reset end
    if cost > 0 then
      set[k + 1], set[k + 2], set[k + 3], set[k + 4] = ARGV[f], used + cost, ARGV[f + 1], start
      k = k + 4
      if start + period > need then need = start + period end
      if start + period > target then target = start + period end
    end
    f = f + 2
    b = b + 6
  elseif kind == 'concurrency' then
    z = z + 1
    redis.call('ZREMRANGEBYSCORE', KEYS[z], '-inf', now)
    local live = redis.call('ZCARD', KEYS[z])
    local taking = 0
    if cost > 0 and not redis.call('ZSCORE', KEYS[z], ARGV[b + 6]) then taking = 1 end
    ok = (live + taking) <= limit
    remaining = limit - (ok and (live + taking) or live)
    if remaining < 0 then remaining = 0 end
    if cost > 0 then
      if not leases then leases = {} end
      leases[#leases + 1] = z
      leases[#leases + 1] = b
    end
    b = b + 7
  else
    local used = tonumber(got[f]) or 0
    ok = (used + cost) <= limit
    remaining = limit - (ok and (used + cost) or used)
    if remaining < 0 then remaining = 0 end
    if cost > 0 then
      set[k + 1], set[k + 2] = ARGV[f], used + cost
      k = k + 2
      total = true
    end
    f = f + 2
    b = b + 5
  end
  if not ok and refused == 0 then refused = i end
  out[2 * i + 3], out[2 * i + 4] = remaining, reset
end
if refused > 0 then
  out[1], out[2], out[3] = 0, refused, retry
  return out
end
if leases then
  for j = 1, #leases, 2 do
    local key, a = KEYS[leases[j]], leases[j + 1]
    local ttl = tonumber(ARGV[a + 7])
    redis.call('ZADD', key, now + ttl, ARGV[a + 6])
    -- The set lives as long as its longest lease; each lease expires on its own (ZREMRANGEBYSCORE).
    if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  end
end
if k > 0 then
  local extend = false
  if total then
    if exp ~= -1 then set[k + 1], set[k + 2] = '~exp', -1; extend = true end
  elseif exp ~= -1 and (exp == nil or need > exp) then
    -- A hash that holds a lifetime total never expires (-1). Otherwise it lives until every
    -- counter may go (a drained debt plus one period, a window's end), and a debt's share is set
    -- a period later still (target), so that it is pushed back about once per period rather than
    -- on every decision (measured: the extension was a sixth of a rate-only decision's server time).
    set[k + 1], set[k + 2] = '~exp', target
    extend = true
  end
  redis.call('HSET', h, unpack(set))
  if extend then
    if total then redis.call('PERSIST', h) else redis.call('PEXPIREAT', h, target) end
  end
end
return out
`;

/** refund: gives units back, never below zero, never into another window; releases leases by id; a GCRA debt never below nothing owed now. */
export const REFUND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = KEYS[1]
local nf = tonumber(ARGV[1])
local got = redis.call('HMGET', h, '~exp', unpack(ARGV, 2, nf + 1))
local set = {}
local z, f = 1, 2
local b = nf + 1
while b < #ARGV do
  local kind, limit, period, cost = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 5])
  if kind == 'concurrency' then
    z = z + 1
    redis.call('ZREM', KEYS[z], ARGV[b + 6])
  else
    local v, w = tonumber(got[f]), tonumber(got[f + 1])
    -- Only counters that exist (the hash has its expiry): a refund never creates state.
    if v and got[1] and cost > 0 then
      if kind == 'gcra' then
        local owed = 0
        if w then owed = math.max(0, v - (now - w) * limit / period) end
        set[#set + 1] = ARGV[f]
        set[#set + 1] = math.max(0, owed - cost)
        set[#set + 1] = ARGV[f + 1]
        set[#set + 1] = now
      elseif kind == 'window' then
        local start = now - now % period
        if ARGV[b + 6] ~= '' then start = tonumber(ARGV[b + 6]) end
        if w == start then
          set[#set + 1] = ARGV[f]
          set[#set + 1] = math.max(0, v - cost)
        end
      else
        set[#set + 1] = ARGV[f]
        set[#set + 1] = math.max(0, v - cost)
      end
    end
    f = f + 2
  end
  if kind == 'concurrency' then b = b + 7 elseif kind == 'window' then b = b + 6 else b = b + 5 end
end
if #set > 0 then redis.call('HSET', h, unpack(set)) end
return 1
`;

/**
 * detect: one DetectorStore update (stores/detector.ts in @bulwark/core). KEYS: per op its key,
 * and after an append's key the key of its stamp; all in the scope's slot. ARGV: per op,
 * `kind, p1, p2, n, item1 … itemN`:
 *   decay     p1 = amount to add, p2 = half-life ms            → { value as a string }
 *   append    p1 = max, p2 = ttl ms, items                      → { stamp before, stamp after, { items before the append } }
 *   append-quiet  the same, answer: false                        → { stamp before, stamp after, {} }
 *   remember  p1 = max, p2 = ttl ms, members                    → { 1|0 per member: seen }
 * A list's stamp is a string key of its own with the list's expiry, `<incarnation>.<items ever
 * appended>`, the incarnation being the server time in µs when the list was created (a list
 * created again, after expiry, never repeats a stamp; a list without a stamp key, written by an
 * older version, gets a fresh one).
 * A key holding another type (another kind of state) is started afresh. Remembered members are
 * scored by time in µs, strictly increasing within a key (max(now, newest + 1)), so "oldest" is
 * well defined even within one microsecond; the set forgets members older than the ttl.
 */
export const DETECT = `
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = math.floor(now_us / 1000)
local out = {}
local a, ki, i = 1, 0, 0
while a <= #ARGV do
  i = i + 1
  ki = ki + 1
  local k = KEYS[ki]
  local kind, p1, p2, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local first = a + 4
  a = first + n
  -- An append whose list is not wanted back (answer: false): no LRANGE, nothing sent but stamps.
  local quiet = kind == 'append-quiet'
  if quiet then kind = 'append' end
  local want = (kind == 'decay' and 'string') or (kind == 'append' and 'list') or 'zset'
  local have = redis.call('TYPE', k)['ok']
  if have ~= 'none' and have ~= want then
    redis.call('DEL', k)
    have = 'none'
  end
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
    ki = ki + 1
    local sk = KEYS[ki]
    local max = tonumber(p1)
    local st = have == 'list' and redis.call('GET', sk)
    local inc, count = string.format('%.0f', now_us), 0
    if st then
      local dot = string.find(st, '.', 1, true)
      inc, count = string.sub(st, 1, dot - 1), tonumber(string.sub(st, dot + 1))
    end
    local before = inc .. '.' .. string.format('%.0f', count)
    local items = quiet and {} or redis.call('LRANGE', k, 0, -1)
    if n > 0 then
      for j = first, first + n - 1 do redis.call('RPUSH', k, ARGV[j]) end
      redis.call('LTRIM', k, -max, -1)
      count = count + n
    end
    local after = n > 0 and (inc .. '.' .. string.format('%.0f', count)) or before
    if n > 0 or have == 'list' then
      redis.call('PEXPIRE', k, p2)
      if n > 0 or not st then redis.call('SET', sk, after, 'PX', p2) else redis.call('PEXPIRE', sk, p2) end
    end
    out[i] = { before, after, items }
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
