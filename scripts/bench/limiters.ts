/**
 * Bulwark's budget side by side with the rate limiters it replaces, express-rate-limit (with
 * rate-limit-redis) and rate-limiter-flexible, on the same machine in the same run, each set far
 * above the load (every call counted, none refused):
 *   - in process: what one decision adds to a call on the memory store (each library's own call
 *     against an awaited no-op; Bulwark's guarded call against the empty pipeline);
 *   - on Redis: the server's time per decision (INFO commandstats, every command the decision
 *     ran, scripts included) and the client's CPU per decision (process.cpuUsage), 16 in flight;
 *   - over HTTP: the same Express 5 app and fraud model with each limiter, throughput ÷ the same
 *     server without it (interleaved rounds, per-round ratios, median);
 *   - p99 latency added at a paced 1,000 req/s (open loop: one request per millisecond, not
 *     autocannon's per-second bursts), ÷ nothing: milliseconds over the server without it.
 */
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { budget, createBulwark, type LimitCheck, MemoryStore, type Prediction } from '@bulwark/core';
import { fraudData } from '@bulwark/models';
import { RedisStore } from '@bulwark/redis-store';
import { MemoryStore as ErlMemoryStore, type Options as ErlOptions } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore as RateLimitRedisStore, type RedisReply } from 'rate-limit-redis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { loadPredict, pinLoadGenerator, spawnServer } from './http.js';
import { measureInterleaved, median } from './stats.js';

const SERVER = fileURLToPath(new URL('./limiters-server.ts', import.meta.url));
const LIMIT = 1_000_000_000;
export const LIMITERS = ['express-rate-limit', 'rate-limiter-flexible', 'bulwark'] as const;
type Limiter = (typeof LIMITERS)[number];

export interface LimitersBench {
  /**
   * ns added per call, memory store: each library's own decision call (express-rate-limit's store
   * `increment`, rate-limiter-flexible's `consume`, Bulwark's `MemoryStore.consumeSync`), and
   * Bulwark's whole guard in its pipeline (`bulwark-guard`: principal hashing, the decision, the
   * reservation and settle; against the empty pipeline). `+quota`: rate and a day quota in one decision.
   */
  inProcessNs: Record<Limiter | 'bulwark+quota' | 'bulwark-guard' | 'bulwark-guard+quota', number>;
  /** Throughput with the limiter ÷ its own server without it (median of per-round ratios). */
  httpRatio: { memory: Record<Limiter, number>; redis: Record<Limiter, number> };
  /** Server time added per request by the limiter, µs (1/throughput on the pinned core, with − without; median of rounds). */
  httpAddedUs: { memory: Record<Limiter, number>; redis: Record<Limiter, number> };
  /** Redis server µs per decision, and client CPU µs per decision. */
  redisServerUs: Record<Limiter | 'bulwark+quota', number>;
  redisClientCpuUs: Record<Limiter | 'bulwark+quota', number>;
  /** p99 ms at a paced 1,000 req/s on Redis, minus the own baseline's p99 (median over rounds). */
  pacedP99AddedMs: Record<Limiter, number>;
  pacedP99Ms: Record<string, number>;
  rounds: number;
  pinning: string;
}

const keys = Array.from({ length: 1000 }, (_, i) => `caller-${i}`);

function push(to: Record<string, number[]>, key: string, value: number): void {
  const list = to[key];
  if (list === undefined) to[key] = [value];
  else list.push(value);
}

export async function benchLimitersInProcess(quick: boolean): Promise<LimitersBench['inProcessNs']> {
  const erl = new ErlMemoryStore();
  erl.init({ windowMs: 60_000 } as ErlOptions);
  const rlf = new RateLimiterMemory({ points: LIMIT, duration: 60 });
  const fixed: Prediction[] = [{ label: 1, scores: [0.5, 0.5] }];
  const empty = createBulwark().wrap(() => fixed);
  const rateOnly = createBulwark({ guards: [budget({ store: new MemoryStore(), tiers: { default: { rate: { limit: LIMIT, per: 'minute' } } } })] }).wrap(
    () => fixed,
  );
  const rateQuota = createBulwark({
    guards: [budget({ store: new MemoryStore(), tiers: { default: { rate: { limit: LIMIT, per: 'minute' }, quotas: [{ limit: 1e15, per: 'day' }] } } })],
  }).wrap(() => fixed);
  const rows = [[1, 2]];
  const resolved = Promise.resolve();
  const store = new MemoryStore();
  const rateCheck: LimitCheck[] = [{ key: 'rate', kind: 'gcra', limit: LIMIT, burst: LIMIT, periodMs: 60_000, cost: 1 }];
  const rateQuotaChecks: LimitCheck[] = [...rateCheck, { key: 'quota:day', kind: 'window', limit: 1e15, periodMs: 86_400_000, cost: 1 }];
  let k = 0;
  const key = () => keys[k++ % 1000] as string;
  const t = await measureInterleaved(
    {
      noop: () => resolved,
      erl: () => erl.increment(key()),
      rlf: () => rlf.consume(key()),
      store: () => store.consumeSync(key(), rateCheck),
      storeQuota: () => store.consumeSync(key(), rateQuotaChecks),
      empty: () => empty(rows, { principal: key() }),
      rate: () => rateOnly(rows, { principal: key() }),
      rateQuota: () => rateQuota(rows, { principal: key() }),
    },
    quick ? 3 : 15,
    quick ? 2000 : 20_000,
  );
  erl.shutdown();
  const at = (n: string) => t[n] as number;
  return {
    'express-rate-limit': at('erl') - at('noop'),
    'rate-limiter-flexible': at('rlf') - at('noop'),
    bulwark: at('store') - at('noop'),
    'bulwark+quota': at('storeQuota') - at('noop'),
    'bulwark-guard': at('rate') - at('empty'),
    'bulwark-guard+quota': at('rateQuota') - at('empty'),
  };
}

/**
 * The server's time in the decisions since the last reset, µs (INFO and CONFIG left out). All three
 * limiters decide in a script, and a script's time includes the commands it calls, which
 * commandstats also lists on their own lines: with scripts, only the script lines count (before
 * 2026-11-28 this bench added the nested commands again: ≈ 0.7-1.5 µs a decision too many).
 */
async function serverUs(client: Redis): Promise<number> {
  const info = (await client.info('commandstats')) as string;
  const lines = [...info.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)].filter((m) => !/^(info|config)/.test(m[1] as string));
  const scripts = lines.filter((m) => /^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/.test(m[1] as string));
  return (scripts.length > 0 ? scripts : lines).reduce((us, m) => us + Number(m[2]), 0);
}

export async function onRedis(quick: boolean, redisUrl: string) {
  const client = new Redis(redisUrl, { enableOfflineQueue: false });
  await new Promise<void>((r) => client.once('ready', () => r()));
  const prefix = `bench-limiters:${process.pid}:`;
  const erl = new RateLimitRedisStore({ prefix: `${prefix}erl:`, sendCommand: (c: string, ...a: string[]) => client.call(c, ...a) as Promise<RedisReply> });
  erl.init({ windowMs: 60_000 } as ErlOptions);
  const rlf = new RateLimiterRedis({ storeClient: client, keyPrefix: `${prefix}rlf`, points: LIMIT, duration: 60 });
  const store = new RedisStore({ client, prefix: `${prefix}b:` });
  const rate: LimitCheck[] = [{ key: 'rate', kind: 'gcra', limit: LIMIT, periodMs: 60_000, cost: 1 }];
  const rateQuota: LimitCheck[] = [...rate, { key: 'quota:day', kind: 'window', limit: 1e15, periodMs: 86_400_000, cost: 1 }];
  const scopes = Array.from({ length: 1000 }, (_, i) => `c${i}`);
  const variants: Record<Limiter | 'bulwark+quota', (i: number) => Promise<unknown>> = {
    'express-rate-limit': (i) => erl.increment(keys[i % 1000] as string),
    'rate-limiter-flexible': (i) => rlf.consume(keys[i % 1000] as string),
    bulwark: (i) => store.consume(scopes[i % 1000] as string, rate),
    'bulwark+quota': (i) => store.consume(scopes[i % 1000] as string, rateQuota),
  };
  const n = quick ? 2000 : 20_000;
  const server: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (let round = 0; round < (quick ? 2 : 6); round++) {
    for (const [name, fn] of Object.entries(variants)) {
      for (let i = 0; i < 200; i++) await fn(i); // scripts loaded, keys warm
      await client.config('RESETSTAT');
      const c0 = process.cpuUsage();
      // 16 in flight keep Redis busy: one at a time, an idle VM's wake-ups double every figure.
      let i = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (i < n) await fn(i++);
        }),
      );
      const c = process.cpuUsage(c0);
      if (round === 0) continue; // warm-up round
      push(server, name, (await serverUs(client)) / n);
      push(cpu, name, (c.user + c.system) / n);
    }
  }
  for (const pattern of [`${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await client.del(...found);
    } while (cursor !== '0');
  }
  client.disconnect();
  const med = (m: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)])) as Record<Limiter | 'bulwark+quota', number>;
  return { redisServerUs: med(server), redisClientCpuUs: med(cpu) };
}

/**
 * Open-loop load at a fixed rate: request i leaves at t0 + i/rate (a 1 ms timer, so one or two at
 * a time), on `connections` kept-alive sockets; latency from when it left to the end of its answer.
 */
export function paced(url: string, body: string, rate: number, seconds: number, connections: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    let sent = 0;
    const t0 = performance.now();
    const fire = () => {
      const start = performance.now();
      const req = request(`${url}/v1/predict`, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`paced load: status ${res.statusCode}`));
          latencies.push(performance.now() - start);
          if (latencies.length === total) {
            agent.destroy();
            resolve(latencies);
          }
        });
      });
      req.on('error', reject);
      req.setNoDelay(true);
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + sent * interval <= now) {
        fire();
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
    };
    tick();
  });
}

const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] as number;
};

export async function benchLimiters(quick = false, redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<LimitersBench> {
  const inProcessNs = await benchLimitersInProcess(quick);
  const redis = await onRedis(quick, redisUrl);
  const pinning = pinLoadGenerator();
  const body = JSON.stringify({ inputs: [fraudData().test.x[0]] });
  const variants = ['plain', 'erl-memory', 'erl-redis', 'rlf-memory', 'rlf-redis', 'bulwark', 'bulwark-memory', 'bulwark-redis'];
  const servers: Record<string, { url: string; child: import('node:child_process').ChildProcess }> = {};
  for (const v of variants) servers[v] = await spawnServer('express', v, SERVER);
  const rounds = quick ? 1 : 3;
  const duration = quick ? 2 : 5;
  const ratios: Record<string, number[]> = {};
  const addedUs: Record<string, number[]> = {};
  const pairs: [string, Limiter, 'memory' | 'redis', string][] = [
    ['erl-memory', 'express-rate-limit', 'memory', 'plain'],
    ['erl-redis', 'express-rate-limit', 'redis', 'plain'],
    ['rlf-memory', 'rate-limiter-flexible', 'memory', 'plain'],
    ['rlf-redis', 'rate-limiter-flexible', 'redis', 'plain'],
    ['bulwark-memory', 'bulwark', 'memory', 'bulwark'],
    ['bulwark-redis', 'bulwark', 'redis', 'bulwark'],
  ];
  try {
    for (let r = 0; r < rounds + 1; r++) {
      const rps: Record<string, number[]> = {};
      for (const v of [...variants, ...[...variants].reverse()]) {
        const res = await loadPredict(servers[v]?.url as string, body, duration, `limiters/${v}`);
        push(rps, v, res.requests.average);
      }
      if (r === 0) continue; // warm-up round
      const mean = (v: string) => (rps[v] ?? []).reduce((a, b) => a + b, 0) / (rps[v]?.length ?? 1);
      for (const [v, , , base] of pairs) {
        push(ratios, v, mean(v) / mean(base));
        push(addedUs, v, 1e6 / mean(v) - 1e6 / mean(base));
      }
    }
    const pacedVariants = ['plain', 'erl-redis', 'rlf-redis', 'bulwark', 'bulwark-redis'];
    const p99s: Record<string, number[]> = {};
    const added: Record<string, number[]> = {};
    for (let r = 0; r < rounds + 1; r++) {
      const round: Record<string, number> = {};
      for (const v of pacedVariants) round[v] = p99(await paced(servers[v]?.url as string, body, 1000, quick ? 1 : 5, 8));
      if (r === 0) continue;
      for (const v of pacedVariants) push(p99s, v, round[v] as number);
      for (const [v, , store, base] of pairs) if (store === 'redis') push(added, v, (round[v] as number) - (round[base] as number));
    }
    const httpRatio = { memory: {} as Record<Limiter, number>, redis: {} as Record<Limiter, number> };
    const httpAddedUs = { memory: {} as Record<Limiter, number>, redis: {} as Record<Limiter, number> };
    const pacedP99AddedMs = {} as Record<Limiter, number>;
    for (const [v, limiter, store] of pairs) {
      httpRatio[store][limiter] = median(ratios[v] ?? []);
      httpAddedUs[store][limiter] = median(addedUs[v] ?? []);
      if (store === 'redis') pacedP99AddedMs[limiter] = median(added[v] ?? []);
    }
    const pacedP99Ms = Object.fromEntries(Object.entries(p99s).map(([k, v]) => [k, median(v)]));
    return { inProcessNs, httpRatio, httpAddedUs, ...redis, pacedP99AddedMs, pacedP99Ms, rounds, pinning };
  } finally {
    for (const s of Object.values(servers)) s.child.kill('SIGTERM');
  }
}

/** The comparison table of docs/benchmarks.md. */
export function limitersTable(b: LimitersBench): string {
  const us = (ns: number) => (ns / 1000).toFixed(2);
  const row = (label: string, f: (l: Limiter) => string) => `| ${label} | ${LIMITERS.map(f).join(' | ')} |`;
  return [
    '| | express-rate-limit | rate-limiter-flexible | Bulwark |',
    '|---|---:|---:|---:|',
    row('in process, the decision call, added per call (memory), µs', (l) =>
      l === 'bulwark' ? `${us(b.inProcessNs.bulwark)} (rate + day quota: ${us(b.inProcessNs['bulwark+quota'])})` : us(b.inProcessNs[l]),
    ),
    row("in process, Bulwark's whole budget guard in its pipeline, µs", (l) =>
      l === 'bulwark' ? `${us(b.inProcessNs['bulwark-guard'])} (rate + day quota: ${us(b.inProcessNs['bulwark-guard+quota'])})` : '—',
    ),
    row('HTTP, limiter ÷ its own server without it, memory', (l) => b.httpRatio.memory[l].toFixed(2)),
    row('HTTP, same, Redis', (l) => b.httpRatio.redis[l].toFixed(2)),
    row('HTTP, server time added per request, memory, µs', (l) => b.httpAddedUs.memory[l].toFixed(0)),
    row('HTTP, server time added per request, Redis, µs', (l) => b.httpAddedUs.redis[l].toFixed(0)),
    row('Redis server time per decision, µs', (l) =>
      l === 'bulwark'
        ? `${b.redisServerUs.bulwark.toFixed(2)} (rate + day quota: ${b.redisServerUs['bulwark+quota'].toFixed(2)})`
        : b.redisServerUs[l].toFixed(2),
    ),
    row('client CPU per Redis decision (ioredis), µs', (l) =>
      l === 'bulwark'
        ? `${b.redisClientCpuUs.bulwark.toFixed(1)} (rate + day quota: ${b.redisClientCpuUs['bulwark+quota'].toFixed(1)})`
        : b.redisClientCpuUs[l].toFixed(1),
    ),
    row('p99 added at a paced 1,000 req/s, Redis, ms', (l) => b.pacedP99AddedMs[l].toFixed(2)),
  ].join('\n');
}
