/**
 * (g) What the detectors cost. Per row: validate-input and ood scoring on the fraud (d = 8) and
 * digits (d = 64) profiles, the scorer alone and as a guard around the real model, against the
 * bare model call in the same run. Per query: near-duplicates and extraction-detection (PRADA) on
 * the memory store, with 100 / 1,000 / 5,000 / 10,000 earlier queries in their state (PRADA: its window of
 * distances), and both at 1,000 on a real Redis (REDIS_URL, default 127.0.0.1:6379). Interleaved rounds, medians over rounds.
 */
import { fileURLToPath } from 'node:url';
import {
  createBulwark,
  extractionDetection,
  featureSqueezing,
  loadProfile,
  MemoryStore,
  nearDuplicates,
  ood,
  type Prediction,
  RowScorer,
  validateInput,
} from '@bulwark/core';
import { digitsData, fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { RedisStore } from '@bulwark/redis-store';
import { Redis } from 'ioredis';
import { measureInterleaved } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const profiles = { fraud: `${root}policies/profiles/fraud.json`, digits: `${root}policies/profiles/digits.json` };

/** Interleaved rounds with a short warm-up (the detectors' state must not grow much before timing). */
const measure = (variants: Record<string, () => unknown>, rounds: number, calls: number) => measureInterleaved(variants, rounds, calls, Math.min(calls, 200));

export interface DetectionBench {
  /** ns per row, scorer alone. */
  scoringNs: Record<string, number>;
  /** ns per call (one row) around the real model, and the ratio to the bare model call. */
  guardNs: Record<string, number>;
  guardRatio: Record<string, number>;
  /** µs per query of the stateful detectors by state size. */
  statefulUs: Record<string, number>;
}

export async function benchDetection(quick = false, redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<DetectionBench> {
  const rounds = quick ? 3 : 15;
  const calls = quick ? 200 : 2000;
  const scoringNs: Record<string, number> = {};
  const guardNs: Record<string, number> = {};
  const guardRatio: Record<string, number> = {};
  const P = { principal: 'bench-user' };
  for (const name of ['fraud', 'digits'] as const) {
    const rows = (name === 'fraud' ? fraudData().test.x : digitsData().test.x) as number[][];
    const d = (rows[0] as number[]).length;
    const scorer = new RowScorer(loadProfile(profiles[name]).scorer);
    let i = 0;
    const s = await measure(
      {
        [`${name} (d=${d}): robust z`]: () => scorer.robustZ(rows[i++ % rows.length] as number[]),
        [`${name} (d=${d}): Mahalanobis`]: () => scorer.mahalanobis(rows[i++ % rows.length] as number[]),
      },
      rounds,
      calls * 10,
    );
    Object.assign(scoringNs, s);
    const model = await loadOnnxClassifier(modelPath(name));
    const bare = (r: number[][]) => model.predict(r);
    const wrap = (guards: Parameters<typeof createBulwark>[0]) => createBulwark(guards).wrap(bare);
    const v = name === 'fraud' ? wrap({ guards: [validateInput({ profile: profiles.fraud })] }) : undefined;
    const o = wrap({ guards: [ood({ profile: profiles[name], action: 'flag' })] });
    // With callerRate: one detector-store update (two decayed counts) per call, memory store.
    const oRate = wrap({ guards: [ood({ profile: profiles[name], action: 'flag', callerRate: {} }, { stores: { memory: new MemoryStore() } })] });
    const variants: Record<string, () => unknown> = {
      [`${name}: bare model call`]: () => bare([rows[i++ % rows.length] as number[]]),
      [`${name}: ood guard`]: () => o([rows[i++ % rows.length] as number[]], P),
      [`${name}: ood guard with callerRate (memory store)`]: () => oRate([rows[i++ % rows.length] as number[]], P),
    };
    if (v) variants[`${name}: validate-input guard`] = () => v([rows[i++ % rows.length] as number[]], P);
    if (name === 'digits') {
      // One extra inference per squeezer: a bit-depth squeezer costs about one more model call.
      const fs = wrap({
        guards: [
          featureSqueezing({ range: [0, 16], shape: [8, 8], threshold: 0.5, action: 'flag', squeezers: [{ kind: 'bit-depth', bits: 3 }] }, { infer: bare }),
        ],
      });
      variants['digits: feature-squeezing guard (1 squeezer)'] = () => fs([rows[i++ % rows.length] as number[]], P);
    }
    const g = await measure(variants, rounds, Math.round(calls / 2));
    const base = g[`${name}: bare model call`] as number;
    for (const [k, ns] of Object.entries(g)) {
      guardNs[k] = ns;
      guardRatio[k] = ns / base;
    }
    await model.close();
  }

  // Stateful detectors on a no-op model (their own cost), state pre-filled to each size.
  const statefulUs: Record<string, number> = {};
  const digits = digitsData().test.x as number[][];
  const fraud = fraudData().test.x as number[][];
  const noop = (r: number[][]): Prediction[] => r.map((x) => ({ label: (x[0] as number) > 40 ? 1 : 0, scores: [0.5, 0.5] }));
  // PRADA's window stops at 5,000 (the range of Royston's W); near-duplicates goes to 10,000 queries.
  // Size 0 is a throwaway warm-up (not recorded): the first sizes measured otherwise paid the JIT's
  // first compilations of both detectors (the 100-query rows read 1.4-2× the 1,000-query ones).
  for (const size of quick ? [100, 1000] : [0, 100, 1000, 5000, 10_000]) {
    const nd = createBulwark({
      guards: [
        nearDuplicates(
          { range: [0, 16], levels: 8, window: 16, action: 'flag' },
          { model: { name: 'digits', features: 64 }, stores: { memory: new MemoryStore() } },
        ),
      ],
    }).wrap(noop);
    const pr = createBulwark({
      guards: [
        extractionDetection({ profile: profiles.fraud, window: Math.min(size || 1000, 5000), minSamples: 20 }, { stores: { memory: new MemoryStore() } }),
      ],
    }).wrap(noop);
    let j = 0;
    // Distinct rows: digits images shifted by a counter, fraud rows jittered, so state keeps growing.
    const nextDigit = () => (digits[j % digits.length] as number[]).map((v, k) => (k === (j >> 8) % 64 ? (v + 1 + (j++ % 7)) % 17 : v));
    const nextFraud = () => (fraud[j % fraud.length] as number[]).map((v, k) => (k === 0 ? v * (1 + (j++ % 97) / 1000) : v));
    const prefill = size === 0 ? 2000 : size;
    for (let k = 0; k < prefill; k++) {
      await nd([nextDigit()], P);
      await pr([nextFraud()], P);
    }
    if (size === 0) continue;
    const m = await measure(
      {
        [`near-duplicates, ${size} earlier queries`]: () => nd([nextDigit()], P),
        [`extraction-detection, window ${Math.min(size, 5000)}, ${size} earlier queries`]: () => pr([nextFraud()], P),
      },
      rounds,
      quick ? 50 : 300,
    );
    for (const [k, ns] of Object.entries(m)) statefulUs[k] = ns / 1000;
  }

  // The same at 1,000 on a real Redis (what replicas share): a round trip per update, and for
  // PRADA the lists' stamps instead of the lists (detector contract).
  const client = new Redis(redisUrl, { enableOfflineQueue: false });
  try {
    await new Promise((resolve, reject) => {
      client.once('ready', resolve);
      client.once('error', reject);
    });
    const redis = new RedisStore({ client, prefix: `bench:detect:${Date.now()}:` });
    const stores = { redis };
    const nd = createBulwark({
      guards: [nearDuplicates({ range: [0, 16], levels: 8, window: 16, action: 'flag', store: 'redis' }, { model: { name: 'digits', features: 64 }, stores })],
    }).wrap(noop);
    const pr = createBulwark({
      guards: [extractionDetection({ profile: profiles.fraud, window: 1000, minSamples: 20, store: 'redis' }, { stores })],
    }).wrap(noop);
    let j = 0;
    const nextDigit = () => (digits[j % digits.length] as number[]).map((v, k) => (k === (j >> 8) % 64 ? (v + 1 + (j++ % 7)) % 17 : v));
    const nextFraud = () => (fraud[j % fraud.length] as number[]).map((v, k) => (k === 0 ? v * (1 + (j++ % 97) / 1000) : v));
    for (let k = 0; k < 1000; k++) {
      await nd([nextDigit()], P);
      await pr([nextFraud()], P);
    }
    const m = await measure(
      {
        'near-duplicates, 1000 earlier queries, Redis': () => nd([nextDigit()], P),
        'extraction-detection, window 1000, 1000 earlier queries, Redis': () => pr([nextFraud()], P),
      },
      quick ? 3 : 7,
      quick ? 50 : 200,
    );
    for (const [k, ns] of Object.entries(m)) statefulUs[k] = ns / 1000;
  } finally {
    client.disconnect();
  }
  return { scoringNs, guardNs, guardRatio, statefulUs };
}
