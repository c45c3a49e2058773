import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import { shapiroWilkW, shapiroWilkWSorted } from '../../detection/shapiro-wilk.js';
import type { DetectorStore } from '../../stores/detector.js';
import { MemoryStore } from '../../stores/memory.js';
import { asyncDetectorStore } from '../../testing/stores.js';
import type { Prediction } from '../../types.js';
import { extractionDetection } from './index.js';
import { SortedWindow } from './local-state.js';

/** A seeded normal generator (test data, not security). */
function gauss(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const model = (rows: number[][]): Prediction[] => rows.map((r) => ({ label: (r[0] as number) > 0 ? 1 : 0, scores: [0.5, 0.5] }));

describe('extraction-detection (PRADA)', () => {
  it('computes Shapiro-Wilk W as scipy does', () => {
    // scipy.stats.shapiro(...).statistic for these samples.
    expect(shapiroWilkW([2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.1, 3.9, 2.2])).toBeCloseTo(0.9524825811386108, 6);
    expect(shapiroWilkW([148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236])).toBeCloseTo(0.7888147830963135, 6);
  });

  /** The first call (1-based) at which the caller was flagged, or undefined. */
  const flaggedAt = async (
    rows: number[][],
    options: Parameters<typeof extractionDetection>[0] = {},
    store: DetectorStore = new MemoryStore(),
  ): Promise<number | undefined> => {
    let at: number | undefined;
    let n = 0;
    const predict = createBulwark({
      guards: [extractionDetection(options, { stores: { memory: store } })],
      onDecision: (d) => {
        if (d.code === 'attack_suspected' && at === undefined) at = n;
      },
    }).wrap(model);
    for (const row of rows) {
      n++;
      await predict([row], { principal: 'caller' });
    }
    return at;
  };

  it("tests log distances by default: honest rows of skewed, few-valued features are not flagged, and PRADA's raw test flags them", async () => {
    // Like the fraud data: an amount-like log-normal feature, a count, a 0/1 flag, three Gaussians.
    const skewed = (seed: number) => {
      const g = gauss(seed);
      return Array.from({ length: 400 }, () => [Math.exp(g()), Math.round(Math.exp(g() / 2)), g() > 1 ? 1 : 0, g(), g(), g()]);
    };
    let raw = 0;
    let byDefault = 0;
    for (let stream = 0; stream < 10; stream++) {
      if ((await flaggedAt(skewed(stream + 1), { distances: 'raw', trim: 0 })) !== undefined) raw++;
      if ((await flaggedAt(skewed(stream + 1))) !== undefined) byDefault++;
    }
    expect(raw).toBeGreaterThanOrEqual(8);
    expect(byDefault).toBe(0);
  });

  it('counts no distance for an exact repeat (a retry)', async () => {
    const g = gauss(5);
    const rows = Array.from({ length: 150 }, () => Array.from({ length: 8 }, g));
    // Every row sent twice in a row: without the rule, half the distances would be 0 (log −∞).
    const twice = rows.flatMap((r) => [r, r]);
    expect(await flaggedAt(twice)).toBeUndefined();
    expect(await flaggedAt(twice, { distances: 'raw', trim: 0 })).toBeUndefined();
  });

  it('leaves callers sending natural (Gaussian) rows alone and flags a stream of small perturbations of a few seeds', async () => {
    let benignFlagged = 0;
    for (let stream = 0; stream < 10; stream++) {
      const g = gauss(stream + 1);
      if ((await flaggedAt(Array.from({ length: 600 }, () => Array.from({ length: 8 }, g)))) !== undefined) benignFlagged++;
    }
    expect(benignFlagged).toBeLessThanOrEqual(1);
    // Jacobian-augmentation-like probing: 5 seeds, each nudged by ±0.05 along one feature at a time.
    const g = gauss(99);
    const seeds = Array.from({ length: 5 }, () => Array.from({ length: 8 }, g));
    const probes = Array.from({ length: 600 }, (_, i) =>
      (seeds[i % 5] as number[]).map((v, j) => v + (j === i % 8 ? 0.05 * Math.sign(g()) * (1 + (i % 3)) : 0)),
    );
    const at = await flaggedAt(probes);
    expect(at).toBeDefined();
    expect(at as number).toBeLessThanOrEqual(300);
    // The same through the asynchronous store path (as on Redis): flagged at the same query.
    expect(await flaggedAt(probes, {}, asyncDetectorStore(new MemoryStore()))).toBe(at);
  });
});

describe('extraction-detection: state kept between calls', () => {
  it('computes what a replica decoding the store computes: two instances taking turns on one store match one instance', async () => {
    const g = gauss(7);
    const rows = Array.from({ length: 400 }, (_, i) => Array.from({ length: 8 }, () => g() * (1 + (i % 3))));
    const wOf = async (instances: number): Promise<number[]> => {
      const store = new MemoryStore();
      const ws: number[] = [];
      const predicts = Array.from({ length: instances }, () =>
        createBulwark({
          // One principal secret, as replicas share: the same caller hashes to the same scope.
          principalSecret: 'replicas-share-this-principal-secret',
          guards: [extractionDetection({ threshold: 1 }, { stores: { memory: store } })],
          onDecision: (d) => ws.push(d.attributes?.['bulwark.extraction.w'] as number),
        }).wrap(model),
      );
      for (const [i, row] of rows.entries()) await (predicts[i % instances] as (typeof predicts)[number])([row], { principal: 'caller' });
      return ws;
    };
    const one = await wOf(1);
    expect(one.length).toBeGreaterThan(250);
    expect(await wOf(2)).toEqual(one);
  });

  it('keeps nothing a concurrent call made stale: a call whose lists another wrote between its read and its write computes its next query from the store', async () => {
    // Two stores fed the same updates in the same order (so they hold the same lists with the
    // same stamps): the instances use s1 (mirrored to s2), a fresh instance the copy s2.
    const s1 = new MemoryStore();
    const s2 = new MemoryStore();
    let mirroring = true;
    let caller = '';
    /** Runs once, just before the next update that writes (a call's write, after its read). */
    let beforeNextWrite: (() => Promise<unknown>) | undefined;
    const mirror: DetectorStore = {
      name: 'memory',
      localKeys: true,
      update: async (scope, ops) => {
        const hook = beforeNextWrite;
        if (hook && ops.some((op) => op.kind === 'append' && op.items.length > 0)) {
          beforeNextWrite = undefined;
          await hook();
        }
        caller = scope;
        const r = s1.updateSync(scope, ops);
        if (mirroring) s2.updateSync(scope, ops);
        return r;
      },
    };
    const instance = (store: DetectorStore) =>
      createBulwark({
        principalSecret: 'replicas-share-this-principal-secret',
        guards: [extractionDetection({ threshold: 1, minSamples: 20 }, { stores: { memory: store } })],
      }).wrap(model);
    const a = instance(mirror);
    const b = instance(mirror);
    const g = gauss(5);
    // One class (the model's label is the sign of the first feature): every call appends to the same lists.
    const row = () => Array.from({ length: 8 }, (_, j) => (j === 0 ? 0.1 + Math.abs(g()) : g()));
    for (let i = 0; i < 40; i++) await (i % 2 ? a : b)([row()], { principal: 'caller' });
    // a's call lands between b's read and b's write; a's row is far from all others, so it joins
    // the growing set.
    const far = [40, 0, 0, 0, 0, 0, 0, 0];
    beforeNextWrite = () => a([far], { principal: 'caller' });
    await b([row()], { principal: 'caller' });
    expect(beforeNextWrite).toBeUndefined();
    // Next, a query right next to a's row: its distance is tiny if b knows a's row, large if b kept
    // its own stale growing set.
    const x = [[40.001, 0, 0, 0, 0, 0, 0, 0]];
    await instance({ name: 'memory', localKeys: true, update: async (scope, ops) => s2.updateSync(scope, ops) })(x, { principal: 'caller' });
    mirroring = false;
    await b(x, { principal: 'caller' });
    const pooled = (st: MemoryStore) =>
      (st.updateSync(caller, [{ kind: 'append', key: 'pr:d', items: [], max: 1000, ttlMs: 60_000 }])[0] as { before: readonly string[] }).before;
    expect(pooled(s1).length).toBeGreaterThan(30);
    expect(pooled(s1)).toEqual(pooled(s2));
  });

  it('keeps the pooled window sorted through appends and evictions (W as from a fresh sort)', () => {
    const g = gauss(3);
    const window = new SortedWindow([]);
    const texts: string[] = [];
    for (let i = 0; i < 700; i++) {
      // Repeated values too: evictions must take out one copy, not all.
      const t = (i % 7 === 0 ? 0.5 : g()).toPrecision(6);
      texts.push(t);
      window.push(t, 250);
      if (i % 50 === 49) {
        const last = texts.slice(-250).map(Number);
        expect(Array.from(window.sortedWithin(0))).toEqual([...last].sort((a, b) => a - b));
        expect(shapiroWilkWSorted(window.sortedWithin(0))).toBeCloseTo(shapiroWilkW(last), 12);
      }
    }
    expect(window.arrival).toEqual(texts.slice(-250).map(Number));
  });
});
