/**
 * One suite, run against every BudgetStore: MemoryStore and RedisStore (on a real Redis). The
 * contract: one atomic decision per call (all checks pass and are charged, or none is), exact
 * under concurrency, refunds never below zero, and keys that callers cannot shape.
 */
import { type BudgetStore, type LimitCheck, MemoryStore, PrincipalHasher, PrivacyLedger } from '@bulwark/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedStore, ready } from '../helpers/redis.js';

type Maker = () => { store: BudgetStore; ready: Promise<void>; keys?: () => Promise<string[]>; close: () => Promise<void> };

const makers: Record<string, Maker> = {
  memory: () => ({ store: new MemoryStore(), ready: Promise.resolve(), close: async () => {} }),
  redis: () => {
    const { store, prefix, client } = isolatedStore();
    return { store, ready: ready(client), keys: () => client.keys(`${prefix}*`), close: async () => void client.disconnect() };
  },
};

const win = (limit: number, cost = 1, key = 'q'): LimitCheck => ({ key, kind: 'window', limit, periodMs: 3_600_000, cost });

describe.each(Object.keys(makers))('%s store', (name) => {
  const made = (makers[name] as Maker)();
  const store = made.store;
  beforeAll(() => made.ready);
  afterAll(() => made.close());
  let n = 0;
  const scope = () => `scope${name}${++n}`;

  it('admits exactly the limit in a window, then refuses with the time to the window end', async () => {
    const s = scope();
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await store.consume(s, [win(5)]));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results[4]?.states[0]?.remaining).toBe(0);
    expect(results[5]?.refusedBy).toBe(0);
    expect(results[5]?.retryAfterMs).toBeGreaterThan(0);
    expect(results[5]?.retryAfterMs).toBeLessThanOrEqual(3_600_000);
  });

  it('is all or nothing: a refused check leaves the others uncharged', async () => {
    const s = scope();
    expect((await store.consume(s, [win(10, 4, 'a'), win(3, 4, 'b')])).allowed).toBe(false);
    const r = await store.consume(s, [win(10, 0, 'a'), win(3, 0, 'b')]);
    expect(r.states.map((x) => x.remaining)).toEqual([10, 3]);
  });

  it('counts costs, not calls (a batch of rows)', async () => {
    const s = scope();
    expect((await store.consume(s, [win(100, 60)])).allowed).toBe(true);
    expect((await store.consume(s, [win(100, 60)])).allowed).toBe(false);
    expect((await store.consume(s, [win(100, 40)])).allowed).toBe(true);
  });

  it('GCRA: admits the burst at once, then refuses with the wait for one more unit', async () => {
    const s = scope();
    const rate: LimitCheck = { key: 'rate', kind: 'gcra', limit: 10, burst: 3, periodMs: 60_000, cost: 1 };
    const r = [];
    for (let i = 0; i < 4; i++) r.push(await store.consume(s, [rate]));
    expect(r.map((x) => x.allowed)).toEqual([true, true, true, false]);
    // 10 per minute: one unit every 6 s.
    expect(r[3]?.retryAfterMs).toBeGreaterThan(5_000);
    expect(r[3]?.retryAfterMs).toBeLessThanOrEqual(6_000);
  });

  it('totals never reset; refunds give back, never below zero', async () => {
    const s = scope();
    const total: LimitCheck = { key: 'life', kind: 'total', limit: 3, cost: 2 };
    expect((await store.consume(s, [total])).allowed).toBe(true);
    expect((await store.consume(s, [total])).allowed).toBe(false);
    await store.refund(s, [{ ...total, cost: 5 }]);
    const r = await store.consume(s, [{ ...total, cost: 0 }]);
    expect(r.states[0]?.remaining).toBe(3);
  });

  it('concurrency: slots are taken and given back', async () => {
    const s = scope();
    const slot: LimitCheck = { key: 'inflight', kind: 'concurrency', limit: 2, cost: 1 };
    expect((await store.consume(s, [slot])).allowed).toBe(true);
    expect((await store.consume(s, [slot])).allowed).toBe(true);
    expect((await store.consume(s, [slot])).allowed).toBe(false);
    await store.refund(s, [slot]);
    expect((await store.consume(s, [slot])).allowed).toBe(true);
  });

  it('is exact under 1,000 concurrent decisions for one caller (limit 100), trial after trial', async () => {
    for (let trial = 0; trial < 20; trial++) {
      const s = scope();
      const results = await Promise.all(Array.from({ length: 1000 }, () => store.consume(s, [win(100)])));
      expect(results.filter((r) => r.allowed)).toHaveLength(100);
    }
  });

  it('privacy ledger: never spends past the budget, with failures between reserve and release', async () => {
    const ledger = new PrivacyLedger({ store, perCaller: { lifetime: 1.0, periods: [{ budget: 0.5, per: 'day' }] }, global: { lifetime: 10 } });
    const s = scope();
    let committed = 0;
    let x = 7;
    await Promise.all(
      Array.from({ length: 400 }, async () => {
        let r: Awaited<ReturnType<typeof ledger.reserve>>;
        try {
          r = await ledger.reserve(s, 0.01);
        } catch (e) {
          expect((e as { code: string }).code).toBe('budget_exhausted');
          return;
        }
        x = (x * 1103515245 + 12345) % 2 ** 31;
        await new Promise((res) => setTimeout(res, x % 3));
        if (x % 10 < 3)
          await r.refund(); // the release failed: nothing went out
        else {
          r.commit();
          committed++;
          await r.refund(); // no effect after commit
        }
      }),
    );
    expect(committed * 10_000).toBeLessThanOrEqual(500_000);
    expect(await ledger.remaining(s)).toBe(500_000 - committed * 10_000);
    expect(committed).toBeGreaterThan(40);
  });

  it('takes 10,000 hostile caller ids without error or collision', async () => {
    const hasher = new PrincipalHasher('conformance-secret-0123456789');
    const ids = Array.from({ length: 10_000 }, (_, i) => {
      const kinds = ['{', '}', ':', '\n', '{a}:{b}', 'ü🙂', '', '\u0000', '}{:\r\n'];
      return i % 50 === 0 ? `${'x'.repeat(65_536)}${i}` : `${kinds[i % kinds.length]}${i}`;
    });
    const hashes = ids.map((id) => hasher.hash('api-key', id));
    expect(new Set(hashes).size).toBe(ids.length);
    for (let i = 0; i < hashes.length; i += 500) await Promise.all(hashes.slice(i, i + 500).map((h) => store.consume(h, [win(1, 1, 'fuzz')])));
    if (made.keys) {
      const keys = (await made.keys()).filter((k) => k.endsWith(':fuzz'));
      expect(keys).toHaveLength(ids.length);
      for (const k of keys.slice(0, 100)) expect(k).toMatch(/^test:[0-9a-f]+:\{[A-Za-z0-9_-]{22}\}:fuzz$/);
    }
  });
});

describe('MemoryStore bounds', () => {
  it('never evicts a live caller: refuses new callers when full, and frees expired windows', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ maxKeys: 3, now: () => now });
    const check = { key: 'q', kind: 'window' as const, limit: 1, periodMs: 1000, cost: 1 };
    for (const s of ['a', 'b', 'c']) expect((await store.consume(s, [check])).allowed).toBe(true);
    await expect(store.consume('d', [check])).rejects.toMatchObject({ name: 'StoreError' });
    expect((await store.consume('a', [check])).allowed).toBe(false); // 'a' still remembered
    now += 1000; // windows passed: their entries can go
    expect((await store.consume('d', [check])).allowed).toBe(true);
    expect(store.size).toBeLessThanOrEqual(3);
  });
});

describe('RedisStore', () => {
  it('reloads its script after the server forgot it (SCRIPT FLUSH, restart, new node)', async () => {
    const { store, client } = isolatedStore();
    await ready(client);
    const check = { key: 'q', kind: 'window' as const, limit: 5, periodMs: 60_000, cost: 1 };
    expect((await store.consume('noscript', [check])).allowed).toBe(true);
    await client.script('FLUSH');
    expect((await store.consume('noscript', [check])).states[0]?.remaining).toBe(3);
    client.disconnect();
  });

  it('refuses scopes that are not hashes, so no caller shapes a key', async () => {
    const { store, client } = isolatedStore();
    await ready(client);
    await expect(store.consume('{evil}:x', [{ key: 'q', kind: 'total', limit: 1, cost: 1 }])).rejects.toMatchObject({ name: 'StoreError' });
    expect(() => new (store.constructor as typeof import('@bulwark/redis-store').RedisStore)({ client, prefix: 'a{b}' })).toThrow(/must not contain/);
    client.disconnect();
  });
});
