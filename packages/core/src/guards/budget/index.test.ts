import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import { MemoryStore } from '../../stores/memory.js';
import { type BudgetStore, StoreError } from '../../stores/types.js';
import type { Prediction } from '../../types.js';
import { maskOutput } from '../mask-output/index.js';
import { budget } from './index.js';

const predict = (rows: number[][]): Prediction[] => rows.map(() => ({ label: 1, scores: [0.3, 0.7] }));
const rows = (n: number) => Array.from({ length: n }, () => [1, 2]);
const err = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { code: string; status: number; retryAfterSeconds?: number; headers?: Record<string, string> }) => e,
  );
const P = { principal: { kind: 'api-key' as const, id: 'k1' } };

describe('budget guard', () => {
  it('counts rows, weights quotas by what the answer reveals, and sends RateLimit headers', async () => {
    const store = new MemoryStore();
    const tiers = { default: { quotas: [{ limit: 100, per: 'day' as const }] } };
    // Two pipelines share a store: they must share the principal secret to see one caller.
    const principalSecret = 'shared-secret-0123456789';
    const raw = createBulwark({ principalSecret, guards: [budget({ store, tiers })] }).wrap(predict);
    const r = await raw.run(rows(5), P); // 5 rows × raw weight 4
    expect(r.headers['ratelimit-policy']).toBe('"day";q=100;w=86400');
    expect(r.headers.ratelimit).toMatch(/^"day";r=80;t=\d+$/);
    const label = createBulwark({ principalSecret, guards: [budget({ store, tiers }), maskOutput({ form: 'label' })] }).wrap(predict);
    await label(rows(10), P); // reserved 40, settled at label weight: 10
    const again = await raw.run(rows(1), P);
    // 100 - 20 - 10 - 4 = 66 units left, advertised in whole raw rows (4 units each): 64.
    expect(again.headers.ratelimit).toMatch(/^"day";r=64;/);
  });

  it('advertises a rate of 1e9 a minute as it is (no hidden ceiling), and builds headers only when they are read', async () => {
    const store = new MemoryStore();
    const g = createBulwark({ guards: [budget({ store, tiers: { default: { rate: { limit: 1_000_000_000, per: 'minute' } } } })] }).wrap(predict);
    const r = await g.run(rows(1), P);
    expect(r.headers['ratelimit-policy']).toBe('"rate";q=1000000000;w=60');
    expect(r.headers.ratelimit).toMatch(/^"rate";r=999999999;t=\d+$/);
    // A call that never reads its headers is still charged (the headers are lazy, the charge is not).
    await g(rows(1), P);
    const again = await g.run(rows(1), P);
    expect(again.headers.ratelimit).toMatch(/^"rate";r=99999999[7-9];/);
  });

  it('refuses a spent quota with budget_exhausted and a too-fast caller with rate_limited', async () => {
    const store = new MemoryStore();
    const quota = createBulwark({ guards: [budget({ store, tiers: { default: { quotas: [{ limit: 8, per: 'day' }] } } })] }).wrap(predict);
    await quota(rows(2), P);
    const e = await err(quota(rows(1), P));
    expect(e).toMatchObject({ code: 'budget_exhausted', status: 429 });
    expect(e?.retryAfterSeconds).toBeGreaterThan(0);
    expect(e?.headers?.['ratelimit-policy']).toBe('"day";q=8;w=86400');
    // A frozen clock: the expected wait must not depend on how long the test takes.
    const clock = 1_700_000_000_000;
    const rate = createBulwark({
      guards: [budget({ store: new MemoryStore({ now: () => clock }), tiers: { default: { rate: { limit: 3, per: 'minute' } } } })],
    }).wrap(predict);
    await rate(rows(3), P);
    expect(await err(rate(rows(1), P))).toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 20 });
  });

  it('degrades to labels only while the label-weight budget lasts, then refuses', async () => {
    const g = createBulwark({
      guards: [budget({ store: new MemoryStore(), tiers: { default: { quotas: [{ limit: 10, per: 'day' }] } }, onExhausted: 'degrade' })],
    }).wrap(predict);
    expect(await g(rows(2), P)).toEqual([
      { label: 1, scores: [0.3, 0.7] },
      { label: 1, scores: [0.3, 0.7] },
    ]); // 8 of 10
    const degraded = await g.run(rows(2), P); // raw would need 8 more: labels only, 2
    expect(degraded.output).toEqual([{ label: 1 }, { label: 1 }]);
    expect(degraded.disclosure).toEqual({ kind: 'label' });
    expect(degraded.decisions.map((d) => d.code)).toEqual(['budget_degraded', 'output_label']);
    expect(await err(g(rows(1), P))).toMatchObject({ code: 'budget_exhausted' });
  });

  it('caps calls in flight per caller and gives the slot back when a call ends', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = async (r: number[][]) => {
      await gate;
      return predict(r);
    };
    const g = createBulwark({ guards: [budget({ store: new MemoryStore(), tiers: { default: { concurrency: 2 } } })] }).wrap(slow);
    const inFlight = [g(rows(1), P), g(rows(1), P)];
    expect(await err(g(rows(1), P))).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 1 });
    release();
    await Promise.all(inFlight);
    await expect(g(rows(1), P)).resolves.toHaveLength(1);
  });

  it('limits all callers together with a global quota', async () => {
    const g = createBulwark({ guards: [budget({ store: new MemoryStore(), tiers: { default: {} }, global: { quotas: [{ limit: 12, per: 'hour' }] } })] }).wrap(
      predict,
    );
    await g(rows(2), { principal: 'alice' });
    expect(await err(g(rows(2), { principal: 'bob' }))).toMatchObject({ code: 'budget_exhausted' });
    await expect(g(rows(1), { principal: 'carol' })).resolves.toHaveLength(1);
  });

  it('refunds the quota of a call that released nothing', async () => {
    const store = new MemoryStore();
    let fail = true;
    const g = createBulwark({ guards: [budget({ store, tiers: { default: { quotas: [{ limit: 8, per: 'day' }] } } })] }).wrap((r: number[][]) => {
      if (fail) throw new Error('model down');
      return predict(r);
    });
    expect(await err(g(rows(2), P))).toMatchObject({ code: 'model_unavailable' });
    fail = false;
    await expect(g(rows(2), P)).resolves.toHaveLength(2); // the failed call's 8 came back
  });

  it("uses tiers by the principal's tier", async () => {
    const g = createBulwark({
      guards: [budget({ store: new MemoryStore(), tiers: { default: { quotas: [{ limit: 4, per: 'day' }] }, pro: { quotas: [{ limit: 400, per: 'day' }] } } })],
    }).wrap(predict);
    await g(rows(1), { principal: { kind: 'api-key', id: 'free' } });
    expect(await err(g(rows(1), { principal: { kind: 'api-key', id: 'free' } }))).toMatchObject({ code: 'budget_exhausted' });
    for (let i = 0; i < 50; i++) await g(rows(1), { principal: { kind: 'api-key', id: 'big', tier: 'pro' } });
  });

  describe('when the store fails', () => {
    const broken: BudgetStore = {
      name: 'broken',
      localKeys: false,
      consume: () => Promise.reject(new StoreError('down')),
      refund: () => Promise.reject(new StoreError('down')),
    };
    const hanging: BudgetStore = { name: 'hanging', localKeys: false, consume: () => new Promise(() => {}), refund: () => Promise.resolve() };
    const tiers = { default: { quotas: [{ limit: 8, per: 'day' as const }] } };
    it('fails closed by default: 503 store_unavailable, also on a timeout', async () => {
      expect(await err(createBulwark({ guards: [budget({ store: broken, tiers })] }).wrap(predict)(rows(1), P))).toMatchObject({
        code: 'store_unavailable',
        status: 503,
      });
      expect(await err(createBulwark({ guards: [budget({ store: hanging, tiers, storeTimeoutMs: 20 })] }).wrap(predict)(rows(1), P))).toMatchObject({
        code: 'store_unavailable',
      });
    });
    it('fails open when configured, and says so', async () => {
      const r = await createBulwark({ guards: [budget({ store: broken, tiers, onStoreError: 'allow' })] })
        .wrap(predict)
        .run(rows(1), P);
      expect(r.decisions[0]).toMatchObject({ action: 'flag', code: 'store_unavailable_open' });
    });
    it('falls back to a local store with the limits divided by the replicas', async () => {
      const g = createBulwark({ guards: [budget({ store: broken, tiers, onStoreError: 'fallback', replicas: 2 })] }).wrap(predict);
      const r = await g.run(rows(1), P); // 4 of the local 8 ÷ 2 = 4
      expect(r.decisions[0]).toMatchObject({ code: 'store_fallback' });
      expect(await err(g(rows(1), P))).toMatchObject({ code: 'budget_exhausted' });
    });
  });

  it('monitor mode records refusals without enforcing them', async () => {
    const g = createBulwark({
      guards: [budget({ store: new MemoryStore(), tiers: { default: { quotas: [{ limit: 4, per: 'day' }] } }, mode: 'monitor' })],
    }).wrap(predict);
    await g(rows(1), P);
    const r = await g.run(rows(1), P);
    expect(r.decisions[0]).toMatchObject({ action: 'deny', code: 'budget_exhausted', enforced: false });
  });

  it('refuses bad options, naming them', () => {
    expect(() => budget({ store: new MemoryStore(), tiers: {} as never })).toThrow(/tiers.default: is required/);
    expect(() => budget({ store: new MemoryStore(), tiers: { default: { rate: { limit: 0, per: 'second' } } } })).toThrow(
      /tiers.default.rate.limit: must be an integer >= 1 \(received 0\)/,
    );
    expect(() => budget({ store: {} as never, tiers: { default: {} } })).toThrow(/store: must name a store, or be a BudgetStore/);
  });

  it('warns once about a per-process store behind several replicas', () => {
    const seen: string[] = [];
    const logger = { warn: (_m: string, f?: { code?: string }) => seen.push(f?.code ?? ''), info: () => {} };
    budget({ store: new MemoryStore(), tiers: { default: {} }, replicas: 3 }, { logger });
    expect(seen).toEqual(['BULWARK_LOCAL_STORE']);
  });

  describe('arithmetic', () => {
    it('reserves at the weight the pipeline can release at most: a quota of 30 with rounded answers (3 a row) admits 10 rows, not 9', async () => {
      const g = createBulwark({
        guards: [budget({ store: new MemoryStore(), tiers: { default: { quotas: [{ limit: 30, per: 'day' }] } } }), maskOutput({ form: 'rounded' })],
      }).wrap(predict);
      let admitted = 0;
      for (let i = 0; i < 12; i++)
        if (
          await g(rows(1), P).then(
            () => true,
            () => false,
          )
        )
          admitted++;
      expect(admitted).toBe(10);
    });

    it('never advertises units that no call can use', async () => {
      const store = new MemoryStore();
      const tiers = { default: { quotas: [{ limit: 10, per: 'day' as const }] } };
      const g = createBulwark({ guards: [budget({ store, tiers }), maskOutput({ form: 'rounded' })] }).wrap(predict);
      const r = await g.run(rows(3), P); // 9 of 10: one unit left, a row costs 3
      expect(r.headers.ratelimit).toMatch(/^"day";r=0;/);
      const e = await err(g(rows(1), P));
      expect(e).toMatchObject({ code: 'budget_exhausted' });
      expect(e?.headers?.ratelimit).toMatch(/^"day";r=0;/);
    });

    it('refuses a batch above the rate burst with exceeds_limit and no Retry-After (it could never be admitted)', async () => {
      const g = createBulwark({ guards: [budget({ store: new MemoryStore(), tiers: { default: { rate: { limit: 100, per: 'minute', burst: 5 } } } })] }).wrap(
        predict,
      );
      const e = await err(g(rows(6), P));
      expect(e).toMatchObject({ code: 'exceeds_limit', status: 422 });
      expect(e?.retryAfterSeconds).toBeUndefined();
      expect((e as unknown as Error).message).toBe('this call costs 6 units; the caller rate burst admits at most 5 at once: send smaller batches');
      await expect(g(rows(5), P)).resolves.toHaveLength(5); // nothing was charged by the refusal
    });

    it('refuses a cost above a whole quota with exceeds_limit, or degrades to labels when those fit', async () => {
      const tiers = { default: { quotas: [{ limit: 8, per: 'day' as const }] } };
      const deny = createBulwark({ guards: [budget({ store: new MemoryStore(), tiers })] }).wrap(predict);
      expect(await err(deny(rows(3), P))).toMatchObject({ code: 'exceeds_limit' }); // 12 > 8
      const degrade = createBulwark({ guards: [budget({ store: new MemoryStore(), tiers, onExhausted: 'degrade' })] }).wrap(predict);
      const r = await degrade.run(rows(3), P); // labels: 3 ≤ 8
      expect(r.output).toEqual([{ label: 1 }, { label: 1 }, { label: 1 }]);
      expect(await err(degrade(rows(9), P))).toMatchObject({ code: 'exceeds_limit' }); // 9 > 8 even as labels
    });

    it('fails closed on a caller tier the budget does not define', async () => {
      const g = createBulwark({ guards: [budget({ store: new MemoryStore(), tiers: { default: {} } })] }).wrap(predict);
      expect(await err(g(rows(1), { principal: { kind: 'api-key', id: 'k', tier: 'gold' } }))).toMatchObject({ code: 'guard_failure', status: 500 });
      expect(() => budget({ store: new MemoryStore(), tiers: { default: {} } }, { tiers: ['gold'] })).toThrow(/tiers.gold: is a tier of an API key/);
    });
  });
});
