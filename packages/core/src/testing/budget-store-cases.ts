/**
 * The BudgetStore conformance suite: one atomic decision per call (all checks pass and are charged,
 * or none is), exact under concurrency, refunds never below zero, time from the store. Every store
 * of the project passes it (test/conformance/stores.test.ts); run it against your own.
 */
import assert from 'node:assert/strict';
import { PrivacyLedger } from '../ledger/privacy-ledger.js';
import type { BudgetStore, LimitCheck } from '../stores/types.js';
import { type ConformanceCase, freshScope, resolveStore, type StoreSource, sleep } from './cases.js';

export interface BudgetStoreCaseOptions {
  /** Trials of the 1,000-concurrent-decisions case (default 20). */
  readonly trials?: number;
}

const win = (limit: number, cost = 1, key = 'q'): LimitCheck => ({ key, kind: 'window', limit, periodMs: 3_600_000, cost });

export function budgetStoreCases(source: StoreSource<BudgetStore>, options: BudgetStoreCaseOptions = {}): ConformanceCase[] {
  const store = resolveStore(source);
  const trials = options.trials ?? 20;
  const cases: ConformanceCase[] = [
    {
      name: 'admits exactly the limit in a window, then refuses with the time to the window end',
      async run() {
        const s = freshScope();
        const results = [];
        for (let i = 0; i < 7; i++) results.push(await store.consume(s, [win(5)]));
        assert.deepEqual(
          results.map((r) => r.allowed),
          [true, true, true, true, true, false, false],
        );
        assert.equal(results[4]?.states[0]?.remaining, 0);
        assert.equal(results[5]?.refusedBy, 0);
        assert.ok((results[5]?.retryAfterMs ?? 0) > 0 && (results[5]?.retryAfterMs ?? 0) <= 3_600_000);
      },
    },
    {
      name: 'is all or nothing: a refused check leaves the others uncharged',
      async run() {
        const s = freshScope();
        assert.equal((await store.consume(s, [win(10, 4, 'a'), win(3, 4, 'b')])).allowed, false);
        const r = await store.consume(s, [win(10, 0, 'a'), win(3, 0, 'b')]);
        assert.deepEqual(
          r.states.map((x) => x.remaining),
          [10, 3],
        );
      },
    },
    {
      name: 'counts costs, not calls (a batch of rows)',
      async run() {
        const s = freshScope();
        assert.equal((await store.consume(s, [win(100, 60)])).allowed, true);
        assert.equal((await store.consume(s, [win(100, 60)])).allowed, false);
        assert.equal((await store.consume(s, [win(100, 40)])).allowed, true);
      },
    },
    {
      name: 'GCRA: admits the burst at once, then refuses with the wait for one more unit',
      async run() {
        const s = freshScope();
        const rate: LimitCheck = { key: 'rate', kind: 'gcra', limit: 10, burst: 3, periodMs: 60_000, cost: 1 };
        const r = [];
        for (let i = 0; i < 4; i++) r.push(await store.consume(s, [rate]));
        assert.deepEqual(
          r.map((x) => x.allowed),
          [true, true, true, false],
        );
        // 10 per minute: one unit every 6 s.
        assert.ok((r[3]?.retryAfterMs ?? 0) > 5_000 && (r[3]?.retryAfterMs ?? 0) <= 6_000, `retryAfterMs ${r[3]?.retryAfterMs}`);
      },
    },
    {
      name: 'GCRA has no hidden ceiling: a rate of 1e9 a minute admits and reports what it says (no µs resolution bound)',
      async run() {
        const s = freshScope();
        const rate: LimitCheck = { key: 'rate', kind: 'gcra', limit: 1e9, periodMs: 60_000, cost: 1 };
        assert.equal((await store.consume(s, [rate])).states[0]?.remaining, 1e9 - 1);
        const half = await store.consume(s, [{ ...rate, cost: 5e8 }]);
        assert.equal(half.allowed, true);
        // 1e9 a minute drains ~16,667 units a millisecond: allow for a few ms between the calls.
        const left = half.states[0]?.remaining ?? -1;
        assert.ok(left >= 5e8 - 1 && left < 5e8 + 1e6, `remaining ${left}`);
        const over = await store.consume(s, [{ ...rate, cost: 6e8 }]);
        assert.equal(over.allowed, false);
        // ~1e8 units over the burst, at 1e9 a minute: about 6 s.
        assert.ok(over.retryAfterMs > 5_000 && over.retryAfterMs <= 6_100, `retryAfterMs ${over.retryAfterMs}`);
      },
    },
    {
      name: 'totals never reset; refunds give back, never below zero',
      async run() {
        const s = freshScope();
        const total: LimitCheck = { key: 'life', kind: 'total', limit: 3, cost: 2 };
        assert.equal((await store.consume(s, [total])).allowed, true);
        assert.equal((await store.consume(s, [total])).allowed, false);
        await store.refund(s, [{ ...total, cost: 5 }]);
        const r = await store.consume(s, [{ ...total, cost: 0 }]);
        assert.equal(r.states[0]?.remaining, 3);
      },
    },
    {
      name: 'concurrency: slots are leases, taken and given back by id, once',
      async run() {
        const s = freshScope();
        const slot = (id: string): LimitCheck => ({ key: 'inflight', kind: 'concurrency', limit: 2, cost: 1, lease: { id, ttlMs: 60_000 } });
        assert.equal((await store.consume(s, [slot('a')])).allowed, true);
        assert.equal((await store.consume(s, [slot('a')])).allowed, true, 'the same lease twice holds one slot');
        assert.equal((await store.consume(s, [slot('b')])).allowed, true);
        assert.equal((await store.consume(s, [slot('c')])).allowed, false);
        await store.refund(s, [slot('a')]);
        await store.refund(s, [slot('a')]); // releasing twice frees nothing more
        assert.equal((await store.consume(s, [slot('c')])).allowed, true);
        assert.equal((await store.consume(s, [slot('d')])).allowed, false);
        await assert.rejects(
          store.consume(s, [{ key: 'inflight', kind: 'concurrency', limit: 2, cost: 1 }]),
          (e: Error) => e.name === 'StoreError',
          'a slot without a lease',
        );
      },
    },
    {
      name: 'concurrency: a lease never given back expires on its own (a lost release costs at most the lease)',
      async run() {
        const s = freshScope();
        const slot = (id: string): LimitCheck => ({ key: 'inflight', kind: 'concurrency', limit: 1, cost: 1, lease: { id, ttlMs: 150 } });
        assert.equal((await store.consume(s, [slot('lost')])).allowed, true);
        assert.equal((await store.consume(s, [slot('next')])).allowed, false);
        await sleep(300);
        assert.equal((await store.consume(s, [slot('next')])).allowed, true);
      },
    },
    {
      name: 'a refund after its window rolled over never subtracts from the next window',
      async run() {
        const s = freshScope();
        const second = (cost: number, windowStart?: number): LimitCheck => ({ key: 'q', kind: 'window', limit: 10, periodMs: 1000, cost, windowStart });
        const first = await store.consume(s, [second(4)]);
        const charged = first.states[0]?.windowStart;
        assert.equal(typeof charged, 'number', 'a window decision reports the window it charged');
        // Into the next one-second window, then charge it and refund the first.
        await sleep(1000 - (Date.now() % 1000) + 200);
        const again = await store.consume(s, [second(3)]);
        assert.notEqual(again.states[0]?.windowStart, charged, 'a new window');
        await store.refund(s, [second(4, charged)]);
        const now = await store.consume(s, [second(0)]);
        assert.equal(now.states[0]?.remaining, 7, 'the refund of the old window left the new one alone');
        await store.refund(s, [second(3, again.states[0]?.windowStart)]);
        assert.equal((await store.consume(s, [second(0)])).states[0]?.remaining, 10);
      },
    },
    {
      name: `is exact under 1,000 concurrent decisions for one caller (limit 100), ${trials} trials`,
      async run() {
        for (let trial = 0; trial < trials; trial++) {
          const s = freshScope();
          const results = await Promise.all(Array.from({ length: 1000 }, () => store.consume(s, [win(100)])));
          assert.equal(results.filter((r) => r.allowed).length, 100);
        }
      },
    },
    {
      name: 'privacy ledger: never spends past the budget, with failures between reserve and release',
      async run() {
        const ledger = new PrivacyLedger({ store, perCaller: { lifetime: 1.0, periods: [{ budget: 0.5, per: 'day' }] }, global: { lifetime: 10 } });
        const s = freshScope();
        let committed = 0;
        let x = 7;
        await Promise.all(
          Array.from({ length: 400 }, async () => {
            let r: Awaited<ReturnType<typeof ledger.reserve>>;
            try {
              r = await ledger.reserve(s, 0.01);
            } catch (e) {
              assert.equal((e as { code: string }).code, 'budget_exhausted');
              return;
            }
            // A fixed pseudo-random schedule of delays and failures (not security randomness).
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
        assert.ok(committed * 10_000 <= 500_000);
        assert.equal(await ledger.remaining(s), 500_000 - committed * 10_000);
        assert.ok(committed > 40);
      },
    },
  ];
  return cases;
}
