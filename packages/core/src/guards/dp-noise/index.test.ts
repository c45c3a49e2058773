import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import { isBulwarkError } from '../../errors.js';
import { MemoryStore } from '../../stores/memory.js';
import { seededRandom } from '../../testing/seeded.js';
import type { Guard, Prediction } from '../../types.js';
import { reverseSigmoid } from '../reverse-sigmoid/index.js';
import { type DpNoiseOptions, dpNoise } from './index.js';

/** Deterministic test rows and probability vectors (test data only). */
function rows(n: number, d: number, seed = 1): number[][] {
  let x = seed;
  return Array.from({ length: n }, () =>
    Array.from({ length: d }, () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return (x / 2 ** 31) * 100;
    }),
  );
}
function vector(row: readonly number[], k: number): number[] {
  const v = Array.from({ length: k }, (_, i) => 1 + Math.abs(Math.sin((row[0] as number) * (i + 1))) * 5);
  const sum = v.reduce((a, b) => a + b, 0);
  return v.map((e) => e / sum);
}
const model = (k: number) => (input: number[][]) =>
  input.map((r): Prediction => {
    const scores = vector(r, k);
    return { label: scores.indexOf(Math.max(...scores)), scores };
  });
const secret = 'test-noise-secret-0123456789';
const small = { poolSize: 4096 };

async function call(options: DpNoiseOptions | Record<string, unknown>, input: number[][], k = 3, principal = 'alice', extra: Guard[] = []) {
  const b = createBulwark({ principalSecret: secret, guards: [dpNoise(options as DpNoiseOptions, { random: seededRandom(3) }), ...extra] });
  return b.wrap(model(k))(input, { principal });
}

describe('dp-noise', () => {
  const cases: Record<string, unknown>[] = [
    { epsilon: 1, secret, ...small },
    { epsilon: 1, secret, keepLabel: true, ...small },
    { mechanism: 'gaussian', rho: 0.5, secret, ...small },
    { mechanism: 'noisy-max', epsilon: 2, secret, ...small },
    { epsilon: 0.5, secret, normalise: false, ...small },
  ];
  for (const options of cases) {
    for (const k of [2, 4]) {
      it(`${JSON.stringify({ ...options, secret: undefined, poolSize: undefined })}, ${k} classes: a batch answers each row as it would alone`, async () => {
        const input = rows(60, 3);
        const batch = await call(options, input, k);
        // Fresh noise (gaussian) is drawn in order from a pool: one row at a time on a twin
        // pipeline (same seed) must read the same draws; consistent noise depends on the row alone.
        const twin = createBulwark({ principalSecret: secret, guards: [dpNoise(options as DpNoiseOptions, { random: seededRandom(3) })] }).wrap(model(k));
        for (let i = 0; i < input.length; i++) {
          const single =
            options.mechanism === 'gaussian' ? await twin([input[i] as number[]], { principal: 'alice' }) : await call(options, [input[i] as number[]], k);
          expect(batch[i]).toEqual(single[0]);
        }
      });
    }
  }

  it('scores are probabilities summing to 1; keepLabel keeps the model’s top-1; noisy-max answers labels only', async () => {
    const input = rows(300, 3);
    const truth = model(4)(input);
    const kept = await call({ epsilon: 0.5, secret, keepLabel: true, ...small }, input, 4);
    const free = await call({ epsilon: 0.5, secret, ...small }, input, 4);
    let moved = 0;
    for (let i = 0; i < input.length; i++) {
      for (const p of [kept[i], free[i]]) {
        const s = p?.scores as number[];
        expect(s.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(Math.abs(s.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
        expect(s[p?.label as number]).toBe(Math.max(...s)); // ties (all noised to 0) answer uniform scores
      }
      expect(kept[i]?.label).toBe(truth[i]?.label);
      if (free[i]?.label !== truth[i]?.label) moved++;
    }
    expect(moved).toBeGreaterThan(0); // at ε = 0.5 the noise does move labels when they are not kept
    const nm = await call({ mechanism: 'noisy-max', epsilon: 1, secret, ...small }, input, 4);
    expect(nm.every((p) => p.scores === undefined && Number.isInteger(p.label))).toBe(true);
  });

  it('without post-processing every released score lies on the 2^-20 grid', async () => {
    const out = await call({ epsilon: 0.3, secret, normalise: false, ...small }, rows(500, 3), 3);
    for (const p of out) for (const s of p.scores as number[]) expect(Number.isInteger(s * 2 ** 20)).toBe(true);
  });

  it('consistent noise: the same caller asking the same row (or a jitter below the quantisation) gets the same answer; others differ', async () => {
    const row = [12.5, 3.25, 7];
    const o = { epsilon: 1, ...small, secret };
    const first = await call(o, [row]);
    for (let i = 0; i < 50; i++) expect(await call(o, [row])).toEqual(first);
    expect(await call(o, [[12.5 * (1 + 1e-6), 3.25, 7]])).toEqual(first); // 12 significant bits kept
    // Near 0 relative steps vanish: steps are never finer than 2^-20.
    expect(await call(o, [[12.5, 3.25, 1e-9]])).toEqual(await call(o, [[12.5, 3.25, 0]]));
    expect(await call(o, [row], 3, 'bob')).not.toEqual(first);
    expect(await call(o, [[13.5, 3.25, 7]])).not.toEqual(first);
  });

  it('averaging: 1,000 repeats of a query narrow nothing under consistent noise, and narrow fresh noise by √n', async () => {
    const row = [1, 2, 3];
    const spread = async (noise: 'consistent' | 'fresh') => {
      const b = createBulwark({ principalSecret: secret, guards: [dpNoise({ epsilon: 1, noise, secret, ...small, normalise: false })] });
      const f = b.wrap(model(3));
      const xs: number[] = [];
      for (let i = 0; i < 1000; i++) xs.push(((await f([row], { principal: 'eve' }))[0]?.scores as number[])[0] as number);
      return new Set(xs).size;
    };
    expect(await spread('consistent')).toBe(1);
    expect(await spread('fresh')).toBeGreaterThan(900);
  });

  it('fresh noise is drawn ahead: a burst larger than the pool is refused (noise_unavailable), and the pool refills between requests', async () => {
    const b = createBulwark({ principalSecret: secret, guards: [dpNoise({ epsilon: 1, noise: 'fresh', poolSize: 64 })] });
    const f = b.wrap(model(3));
    const err = await f(rows(30, 3), { principal: 'a' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && err.code).toBe('noise_unavailable');
    expect(isBulwarkError(err) && err.status).toBe(503);
    await new Promise((r) => setTimeout(r, 50));
    expect((await f(rows(20, 3), { principal: 'a' })).length).toBe(20);
    await b.close();
  });

  it('the ledger: each row reserves ε before release; spent budgets deny or degrade; an answer that is not released is refunded', async () => {
    const store = new MemoryStore();
    const ledger = { store, perCaller: { lifetime: 2.5 }, global: { lifetime: 100 } };
    const b = createBulwark({ principalSecret: secret, guards: [dpNoise({ epsilon: 1, secret, ...small, ledger })] });
    const f = b.wrap(model(3));
    await f([[1, 2, 3]], { principal: 'a' });
    await f([[1, 2, 4]], { principal: 'a' });
    const err = await f([[1, 2, 5]], { principal: 'a' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && err.code).toBe('budget_exhausted');
    expect((await f([[1, 2, 5]], { principal: 'b' })).length).toBe(1); // another caller has its own budget

    const degrade = createBulwark({
      principalSecret: secret,
      guards: [dpNoise({ epsilon: 1, secret, ...small, ledger: { store: new MemoryStore(), perCaller: { lifetime: 1 } }, onExhausted: 'label' })],
    }).wrap(model(3));
    expect((await degrade([[1, 2, 3]], { principal: 'a' }))[0]?.scores).toBeDefined();
    expect(await degrade([[1, 2, 3]], { principal: 'a' })).toEqual([{ label: expect.any(Number) }]);

    // A guard after dp-noise refuses the first answer: nothing left, so the reservation comes back.
    let refuse = true;
    const late: Guard = {
      name: 'late',
      afterInference: () => (refuse ? { action: 'deny', code: 'forbidden', message: 'no' } : { action: 'allow' }),
    };
    const r = createBulwark({
      principalSecret: secret,
      guards: [dpNoise({ epsilon: 1, secret, ...small, ledger: { store: new MemoryStore(), perCaller: { lifetime: 1 } } }), late],
    }).wrap(model(3));
    await expect(r([[1, 2, 3]], { principal: 'a' })).rejects.toThrow();
    refuse = false;
    expect((await r([[1, 2, 3]], { principal: 'a' }))[0]?.scores).toBeDefined();
  });

  it('consistent noise refuses an input without rows rather than give every answer the same noise', async () => {
    const f = createBulwark({ principalSecret: secret, guards: [dpNoise({ epsilon: 1, secret })] }).wrap((_: { id: string }) => [
      { label: 0, scores: [0.6, 0.4] },
    ]);
    const err = await f({ id: 'x' } as never, { principal: 'a' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && err.code).toBe('guard_failure');
    const fresh = createBulwark({ guards: [dpNoise({ epsilon: 1, noise: 'fresh', poolSize: 64 })] }).wrap((_: { id: string }) => [
      { label: 0, scores: [0.6, 0.4] },
    ]);
    expect((await fresh({ id: 'x' } as never, { principal: 'a' }))[0]?.scores).toHaveLength(2);
  });

  it('a privacy ledger fails closed when its store is down', async () => {
    const store = new MemoryStore();
    const broken = Object.assign(Object.create(Object.getPrototypeOf(store)), store, {
      consume: () => Promise.reject(new Error('down')),
    });
    const f = createBulwark({
      principalSecret: secret,
      guards: [dpNoise({ epsilon: 1, secret, ...small, ledger: { store: broken, perCaller: { lifetime: 10 } } })],
    }).wrap(model(3));
    const err = await f([[1, 2, 3]], { principal: 'a' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && err.code).toBe('store_unavailable');
  });

  it('refuses bad options at construction', () => {
    expect(() => dpNoise({})).toThrow(/epsilon: is required for mechanism laplace/);
    expect(() => dpNoise({ mechanism: 'gaussian', epsilon: 1 } as never)).toThrow(/rho: is required/);
    expect(() => dpNoise({ epsilon: 1, rho: 1 })).toThrow(/rho: laplace is calibrated by epsilon/);
    expect(() => dpNoise({ mechanism: 'gaussian', rho: 1, noise: 'consistent' })).toThrow(/noise: the discrete Gaussian is fresh noise only/);
    expect(() => dpNoise({ epsilon: -1 })).toThrow(/epsilon/);
    expect(() => dpNoise({ epsilon: 1, ledger: { store: 'nope', perCaller: { lifetime: 1 } } })).toThrow(
      /ledger\.store: must name a store of the policy \(memory\).*\[unknown_store\]/,
    );
  });
});

describe('reverse-sigmoid', () => {
  it('keeps the top-1 label, answers probabilities, is deterministic, and a batch equals its rows', async () => {
    const input = rows(200, 3);
    const f = createBulwark({ principalSecret: secret, guards: [reverseSigmoid({ beta: 1, gamma: 2 })] }).wrap(model(4));
    const out = await f(input, { principal: 'a' });
    const truth = model(4)(input);
    for (let i = 0; i < input.length; i++) {
      const s = out[i]?.scores as number[];
      expect(out[i]?.label).toBe(truth[i]?.label);
      expect(s.indexOf(Math.max(...s))).toBe(truth[i]?.label);
      expect(Math.abs(s.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      expect(s).not.toEqual(truth[i]?.scores);
      expect((await f([input[i] as number[]], { principal: 'b' }))[0]).toEqual(out[i]);
    }
  });
});
