/**
 * The DetectorStore conformance suite: the three data types behave as the contract says, every
 * update on a scope is one atomic step (exact under 1,000 concurrent updates), state expires, and
 * updates that break the limits are refused with a StoreError. Every store of the project passes
 * it (test/conformance/stores.test.ts); run it against your own.
 *
 * Time: stores take time from themselves (a Redis server's clock), so the cases that test decay
 * and expiry wait for real, with short periods, and assert only bounds that waiting longer
 * (a slow machine) cannot break.
 */
import assert from 'node:assert/strict';
import { DETECTOR_LIMITS, type DetectorResult, type DetectorStore } from '../stores/detector.js';
import { type ConformanceCase, freshScope, resolveStore, type StoreSource, sleep } from './cases.js';

const value = (r: DetectorResult | undefined): number => {
  assert.equal(r?.kind, 'decay');
  return (r as { value: number }).value;
};
const before = (r: DetectorResult | undefined): readonly string[] => {
  assert.equal(r?.kind, 'append');
  return (r as { before: readonly string[] }).before;
};
const stampOf = (r: DetectorResult | undefined): { before: string; after: string } | undefined => {
  assert.equal(r?.kind, 'append');
  return (r as { stamp?: { before: string; after: string } }).stamp;
};
const seen = (r: DetectorResult | undefined): readonly boolean[] => {
  assert.equal(r?.kind, 'remember');
  return (r as { seen: readonly boolean[] }).seen;
};
const HOUR = 3_600_000;

async function refused(p: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => (e as Error)?.name === 'StoreError', what);
}

export function detectorStoreCases(source: StoreSource<DetectorStore>): ConformanceCase[] {
  const store = resolveStore(source);
  const one = async (scope: string, op: Parameters<DetectorStore['update']>[1][number]) => (await store.update(scope, [op]))[0];
  return [
    {
      name: 'decay: adds up, reads with add 0, and halves with time',
      async run() {
        const s = freshScope();
        assert.equal(value(await one(s, { kind: 'decay', key: 'r', add: 0, halfLifeMs: HOUR })), 0);
        assert.ok(Math.abs(value(await one(s, { kind: 'decay', key: 'r', add: 0.5, halfLifeMs: HOUR })) - 0.5) < 1e-6);
        const v = value(await one(s, { kind: 'decay', key: 'r', add: 0.25, halfLifeMs: HOUR }));
        assert.ok(v > 0.749 && v <= 0.75 + 1e-9, `0.5 + 0.25 read ${v}`);
        const q = freshScope();
        await one(q, { kind: 'decay', key: 'r', add: 1, halfLifeMs: 150 });
        await sleep(320);
        const later = value(await one(q, { kind: 'decay', key: 'r', add: 0, halfLifeMs: 150 }));
        assert.ok(later >= 0 && later <= 0.25 + 1e-6, `after two half-lives at most a quarter is left (read ${later})`);
      },
    },
    {
      name: 'append: answers the list as it was, keeps the newest `max`, and expires',
      async run() {
        const s = freshScope();
        const op = (items: string[], max = 3, ttlMs = HOUR) => one(s, { kind: 'append', key: 'l', items, max, ttlMs });
        assert.deepEqual(before(await op(['a', 'b'])), []);
        assert.deepEqual(before(await op(['c', 'd'])), ['a', 'b']);
        assert.deepEqual(before(await op([])), ['b', 'c', 'd']);
        const q = freshScope();
        await one(q, { kind: 'append', key: 'l', items: ['x'], max: 3, ttlMs: 100 });
        await sleep(250);
        assert.deepEqual(before(await one(q, { kind: 'append', key: 'l', items: [], max: 3, ttlMs: 100 })), []);
      },
    },
    {
      name: 'append with answer: false: appends, trims and refreshes the expiry the same, answers nothing',
      async run() {
        const s = freshScope();
        const quiet = (items: string[], ttlMs = HOUR) => one(s, { kind: 'append', key: 'l', items, max: 3, ttlMs, answer: false });
        assert.deepEqual(before(await quiet(['a', 'b'])), []);
        assert.deepEqual(before(await quiet(['c', 'd'])), []);
        assert.deepEqual(before(await one(s, { kind: 'append', key: 'l', items: [], max: 3, ttlMs: HOUR })), ['b', 'c', 'd']);
        // A quiet append of nothing keeps the list alive like any other append.
        const q = freshScope();
        await one(q, { kind: 'append', key: 'l', items: ['x'], max: 3, ttlMs: 1000 });
        await sleep(600);
        await one(q, { kind: 'append', key: 'l', items: [], max: 3, ttlMs: 1000, answer: false });
        await sleep(600);
        assert.deepEqual(before(await one(q, { kind: 'append', key: 'l', items: [], max: 3, ttlMs: 1000 })), ['x']);
      },
    },
    {
      name: 'append stamps: equal stamps mean the same list; every append that adds items, and every re-creation, changes it',
      async run() {
        const s = freshScope();
        const op = (items: string[], answer = true, ttlMs = HOUR) => one(s, { kind: 'append', key: 'l', items, max: 3, ttlMs, answer });
        const r1 = await op(['a']);
        const first = stampOf(r1);
        if (first === undefined) {
          // Stamps are optional: a store without them must leave them out everywhere.
          for (const r of [await op([]), await op(['b'], false)]) assert.equal(stampOf(r), undefined, 'a store gives stamps always or never');
          return;
        }
        assert.notEqual(first.after, first.before, 'an append that adds items changes the stamp');
        const r2 = stampOf(await op([])) as { before: string; after: string };
        assert.equal(r2.before, first.after, "a read answers the last append's stamp");
        assert.equal(r2.after, r2.before, 'a read changes nothing');
        const r3 = await op(['b'], false);
        assert.deepEqual(before(r3), []);
        assert.equal(stampOf(r3)?.before, r2.after);
        assert.notEqual(stampOf(r3)?.after, r2.after);
        const r4 = await op(['c', 'd']);
        assert.deepEqual(before(r4), ['a', 'b']);
        assert.equal(stampOf(r4)?.before, stampOf(r3)?.after);
        // Another key of the scope has stamps of its own: an append to it changes nothing here.
        await one(s, { kind: 'append', key: 'other', items: ['z'], max: 3, ttlMs: HOUR });
        assert.equal(stampOf(await op([]))?.before, stampOf(r4)?.after);
        // The same list built again after expiry (same items, same count) never repeats a stamp.
        const q = freshScope();
        const again = (items: string[]) => one(q, { kind: 'append', key: 'l', items, max: 3, ttlMs: 300 });
        const q1 = stampOf(await again(['x']));
        await sleep(700);
        const q2 = stampOf(await again(['x']));
        assert.notEqual(q2?.after, q1?.after, 'a list created again has a new stamp');
        assert.deepEqual(before(await again([])), ['x']);
      },
    },
    {
      name: 'remember: says which members were there, refreshes them, drops the oldest beyond `max`, forgets after `ttlMs`',
      async run() {
        const s = freshScope();
        const op = (members: string[], max = 3, ttlMs = HOUR) => one(s, { kind: 'remember', key: 'm', members, max, ttlMs });
        assert.deepEqual(seen(await op(['a', 'b'])), [false, false]);
        assert.deepEqual(seen(await op(['b', 'c'])), [true, false]);
        await op(['a']); // refreshes a: the oldest is now b
        await op(['d']); // four members, max three: b goes
        assert.deepEqual(seen(await op(['a', 'b', 'c', 'd'])), [true, false, true, true]);
        // Every member is answered before any is added: one named twice is answered the same twice.
        assert.deepEqual(seen(await op(['e', 'e', 'd', 'd'], 10)), [false, false, true, true]);
        assert.deepEqual(seen(await op(['e'], 10)), [true]);
        const q = freshScope();
        await one(q, { kind: 'remember', key: 'm', members: ['x'], max: 10, ttlMs: 100 });
        await sleep(250);
        assert.deepEqual(seen(await one(q, { kind: 'remember', key: 'm', members: ['x'], max: 10, ttlMs: 100 })), [false]);
      },
    },
    {
      name: 'runs the operations of one update in order, on their own keys, and keeps scopes apart',
      async run() {
        const s = freshScope();
        const r = await store.update(s, [
          { kind: 'append', key: 'l', items: ['a'], max: 10, ttlMs: HOUR },
          { kind: 'append', key: 'l', items: ['b'], max: 10, ttlMs: HOUR },
          { kind: 'remember', key: 'm', members: ['a'], max: 10, ttlMs: HOUR },
          { kind: 'decay', key: 'r', add: 2, halfLifeMs: HOUR },
        ]);
        assert.deepEqual(before(r[1]), ['a']);
        assert.deepEqual(seen(r[2]), [false]);
        assert.ok(value(r[3]) > 1.99);
        const other = freshScope();
        assert.deepEqual(seen(await one(other, { kind: 'remember', key: 'm', members: ['a'], max: 10, ttlMs: HOUR })), [false]);
      },
    },
    {
      name: 'a key used with another kind starts afresh',
      async run() {
        const s = freshScope();
        await one(s, { kind: 'append', key: 'k', items: ['a'], max: 10, ttlMs: HOUR });
        assert.equal(value(await one(s, { kind: 'decay', key: 'k', add: 1, halfLifeMs: HOUR })), 1);
        assert.deepEqual(seen(await one(s, { kind: 'remember', key: 'k', members: ['a'], max: 10, ttlMs: HOUR })), [false]);
      },
    },
    {
      name: 'is atomic under 1,000 concurrent updates: exactly one caller sees a member first, nothing is lost',
      async run() {
        const s = freshScope();
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            store.update(s, [
              { kind: 'remember', key: 'm', members: ['same'], max: 100, ttlMs: HOUR },
              { kind: 'append', key: 'l', items: [`i${i}`], max: 2000, ttlMs: HOUR },
              { kind: 'decay', key: 'r', add: 1, halfLifeMs: 100 * HOUR },
            ]),
          ),
        );
        assert.equal(results.filter((r) => seen(r[0])[0] === false).length, 1);
        const lengths = results.map((r) => before(r[1]).length).sort((a, b) => a - b);
        assert.deepEqual(
          lengths,
          Array.from({ length: 1000 }, (_, i) => i),
        );
        const total = value(await one(s, { kind: 'decay', key: 'r', add: 0, halfLifeMs: 100 * HOUR }));
        assert.ok(total > 999 && total <= 1000 + 1e-6, `1,000 adds of 1 read ${total}`);
      },
    },
    {
      name: 'refuses updates that break the limits, with a StoreError, changing nothing',
      async run() {
        const s = freshScope();
        const L = DETECTOR_LIMITS;
        await refused(
          store.update(
            s,
            Array.from({ length: L.maxOps + 1 }, () => ({ kind: 'decay', key: 'r', add: 1, halfLifeMs: 1000 }) as const),
          ),
          'too many ops',
        );
        await refused(one(s, { kind: 'append', key: 'l', items: ['x'.repeat(L.maxItemLength + 1)], max: 10, ttlMs: HOUR }), 'long item');
        await refused(one(s, { kind: 'append', key: 'l', items: ['é'], max: 10, ttlMs: HOUR }), 'non-ASCII item');
        await refused(one(s, { kind: 'remember', key: 'm', members: ['a'], max: L.maxCapacity + 1, ttlMs: HOUR }), 'capacity');
        await refused(one(s, { kind: 'decay', key: 'r', add: -1, halfLifeMs: HOUR }), 'negative add');
        await refused(one(s, { kind: 'decay', key: 'r', add: Number.NaN, halfLifeMs: HOUR }), 'NaN add');
        await refused(
          store.update(s, [
            { kind: 'decay', key: 'r', add: 1, halfLifeMs: HOUR },
            { kind: 'append', key: 'l', items: ['\n'], max: 10, ttlMs: HOUR },
          ]),
          'a bad op among good ones',
        );
        assert.equal(value(await one(s, { kind: 'decay', key: 'r', add: 0, halfLifeMs: HOUR })), 0, 'nothing applied');
      },
    },
  ];
}
