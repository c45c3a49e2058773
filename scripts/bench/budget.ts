/**
 * Budget benchmarks: the MemoryStore decision, the budget guard's added cost per call (memory
 * store, against an empty pipeline in the same run), and RedisStore decisions against the local
 * Redis (latency one at a time, throughput with 64 in flight, with and without ioredis
 * auto-pipelining).
 */
import { budget, createBulwark, type LimitCheck, MemoryStore, type Prediction } from '@bulwark/core';
import { RedisStore } from '@bulwark/redis-store';
import { Redis } from 'ioredis';
import { median } from './stats.js';

const checks: LimitCheck[] = [
  { key: 'rate', kind: 'gcra', limit: 1_000_000, burst: 1_000_000, periodMs: 1000, cost: 1 },
  { key: 'quota:day', kind: 'window', limit: 1e12, periodMs: 86_400_000, cost: 4 },
];

export interface BudgetBench {
  memoryDecisionNs: number;
  guardAddedNs: number;
  emptyPipelineNs: number;
  budgetPipelineNs: number;
  redis: { p50us: number; p99us: number; sequentialPerSec: number; pipelinedPerSec: number; autoPipelinedPerSec: number };
}

async function nsPerCall(fn: () => unknown, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

export async function benchBudget(quick = false, redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<BudgetBench> {
  const rounds = quick ? 3 : 20;
  const n = quick ? 2000 : 20_000;
  const mem = new MemoryStore();
  const scopes = Array.from({ length: 1000 }, (_, i) => `caller${i}`);
  let k = 0;
  const memSamples: number[] = [];
  for (let r = 0; r < rounds; r++) memSamples.push(await nsPerCall(() => mem.consume(scopes[k++ % 1000] as string, checks), n));

  const fixed: Prediction[] = [{ label: 1, scores: [0.5, 0.5] }];
  const empty = createBulwark().wrap(() => fixed);
  const guarded = createBulwark({
    guards: [
      budget({ store: new MemoryStore(), tiers: { default: { rate: { limit: 1_000_000_000, per: 'second' }, quotas: [{ limit: 1e15, per: 'day' }] } } }),
    ],
  }).wrap(() => fixed);
  const rows = [[1, 2]];
  const e: number[] = [];
  const g: number[] = [];
  for (let r = 0; r < rounds; r++) {
    e.push(await nsPerCall(() => empty(rows, { principal: scopes[k++ % 1000] as string }), n));
    g.push(await nsPerCall(() => guarded(rows, { principal: scopes[k++ % 1000] as string }), n));
  }

  const redis = async (autoPipelining: boolean) => {
    const client = new Redis(redisUrl, { enableAutoPipelining: autoPipelining, enableOfflineQueue: false });
    await new Promise<void>((r) => client.once('ready', () => r()));
    return { client, store: new RedisStore({ client, prefix: `bench:${process.pid}:` }) };
  };
  const plain = await redis(false);
  const lat: number[] = [];
  for (let i = 0; i < (quick ? 500 : 5000); i++) {
    const t0 = process.hrtime.bigint();
    await plain.store.consume(scopes[i % 1000] as string, checks);
    lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  lat.sort((a, b) => a - b);
  const throughput = async (store: RedisStore, total: number, inFlight: number) => {
    const t0 = process.hrtime.bigint();
    let i = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (i < total) await store.consume(scopes[i++ % 1000] as string, checks);
      }),
    );
    return total / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const total = quick ? 2000 : 50_000;
  const sequentialPerSec = await throughput(plain.store, total / 5, 1);
  const pipelinedPerSec = await throughput(plain.store, total, 64);
  const auto = await redis(true);
  const autoPipelinedPerSec = await throughput(auto.store, total, 64);
  const keys = await plain.client.keys(`bench:${process.pid}:*`);
  for (let i = 0; i < keys.length; i += 500) await plain.client.del(...keys.slice(i, i + 500));
  plain.client.disconnect();
  auto.client.disconnect();
  return {
    memoryDecisionNs: median(memSamples),
    emptyPipelineNs: median(e),
    budgetPipelineNs: median(g),
    guardAddedNs: median(g) - median(e),
    redis: {
      p50us: lat[Math.floor(lat.length * 0.5)] as number,
      p99us: lat[Math.floor(lat.length * 0.99)] as number,
      sequentialPerSec,
      pipelinedPerSec,
      autoPipelinedPerSec,
    },
  };
}
