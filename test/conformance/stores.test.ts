/**
 * Both store contracts' conformance suites, from `@bulwark/core/testing` (the same suites a
 * third-party store runs), against every store of the project: MemoryStore, RedisStore on a real
 * Redis, and RedisStore on a real three-master Redis Cluster. Then what only some stores have:
 * Redis keys callers cannot shape, the script reloaded after a flush, memory bounds.
 */
import { type BudgetStore, type DetectorStore, MemoryStore, PrincipalHasher } from '@bulwark/core';
import { budgetStoreCases, detectorStoreCases, registerCases } from '@bulwark/core/testing';
import { RedisStore } from '@bulwark/redis-store';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedStore, ready } from '../helpers/redis.js';
import { type LocalCluster, startCluster } from '../helpers/redis-cluster.js';

type Store = BudgetStore & DetectorStore;

/** A store behind a getter: the Redis ones exist only once beforeAll has connected them. */
function suites(get: () => Store, trials: number): void {
  describe('BudgetStore contract', () => registerCases(budgetStoreCases(get, { trials }), it));
  describe('DetectorStore contract', () => registerCases(detectorStoreCases(get), it));
}

describe('MemoryStore', () => {
  const store = new MemoryStore();
  suites(() => store, 20);
});

describe('RedisStore', () => {
  let made: ReturnType<typeof isolatedStore>;
  beforeAll(async () => {
    made = isolatedStore();
    await ready(made.client);
  });
  afterAll(() => made?.client.disconnect());
  suites(() => made.store, 20);

  it('takes 10,000 hostile caller ids without error or collision, keys shaped only by their hash', async () => {
    const hasher = new PrincipalHasher('conformance-secret-0123456789');
    const ids = Array.from({ length: 10_000 }, (_, i) => {
      const kinds = ['{', '}', ':', '\n', '{a}:{b}', 'ü🙂', '', '\u0000', '}{:\r\n'];
      return i % 50 === 0 ? `${'x'.repeat(65_536)}${i}` : `${kinds[i % kinds.length]}${i}`;
    });
    const hashes = ids.map((id) => hasher.hash('api-key', id));
    expect(new Set(hashes).size).toBe(ids.length);
    const check = { key: 'fuzz', kind: 'window' as const, limit: 1, periodMs: 3_600_000, cost: 1 };
    for (let i = 0; i < hashes.length; i += 500) await Promise.all(hashes.slice(i, i + 500).map((h) => made.store.consume(h, [check])));
    await made.store.update(hashes[0] as string, [{ kind: 'decay', key: 'risk', add: 1, halfLifeMs: 60_000 }]);
    const keys = await made.client.keys(`${made.prefix}*`);
    // One budget hash per caller (`…:b`), its counters as fields.
    const held = new Set(keys);
    expect(hashes.filter((h) => held.has(`${made.prefix}{${h}}:b`))).toHaveLength(ids.length);
    expect((await made.client.hkeys(`${made.prefix}{${hashes[1]}}:b`)).sort()).toEqual(['fuzz', 'fuzz@', '~exp']);
    for (const k of keys.slice(0, 200)) expect(k).toMatch(/^test:[0-9a-f]+:\{([A-Za-z0-9_-]{22}|global)\}:(d:)?[a-z:]+$/);
  });

  it('keeps a caller in one hash that expires when its counters may go, persists with a total, and is never created by a refund', async () => {
    const hasher = new PrincipalHasher('conformance-secret-0123456789');
    const [a, b, c] = ['ttl-a', 'ttl-b', 'ttl-c'].map((id) => hasher.hash('user', id)) as [string, string, string];
    const key = (scope: string) => `${made.prefix}{${scope}}:b`;
    const rate = { key: 'rate', kind: 'gcra' as const, limit: 10, periodMs: 1000, cost: 1 };
    const minute = { key: 'quota:minute', kind: 'window' as const, limit: 100, periodMs: 60_000, cost: 1 };
    await made.store.consume(a, [rate, minute]);
    const ttl = await made.client.pttl(key(a));
    // Until the minute window ends at the latest (the rate's debt drains within about two seconds).
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await made.store.consume(b, [rate, { key: 'life', kind: 'total' as const, limit: 5, cost: 1 }]);
    expect(await made.client.pttl(key(b))).toBe(-1);
    // A later decision of the same caller without the total does not give the hash an expiry back.
    await made.store.consume(b, [minute]);
    expect(await made.client.pttl(key(b))).toBe(-1);
    await made.store.refund(c, [rate, minute]);
    expect(await made.client.exists(key(c))).toBe(0);
  });

  it('pushes a rate-only hash’s expiry back about once a period, not on every decision, and never past its bound', async () => {
    const d = new PrincipalHasher('conformance-secret-0123456789').hash('user', 'ttl-d');
    const key = `${made.prefix}{${d}}:b`;
    const rate = { key: 'rate', kind: 'gcra' as const, limit: 1000, periodMs: 10_000, cost: 1 };
    await made.store.consume(d, [rate]);
    const first = await made.client.hget(key, '~exp');
    for (let i = 0; i < 20; i++) await made.store.consume(d, [rate]);
    // Twenty decisions within a few ms: the expiry set by the first still covers them all.
    expect(await made.client.hget(key, '~exp')).toBe(first);
    // At most the drained debt (21 units at 1,000 per 10 s: 210 ms) plus two periods away.
    const ttl = await made.client.pttl(key);
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(20_000 + 210 + 50);
  });

  it('reloads its scripts after the server forgot them (SCRIPT FLUSH, restart, new node)', async () => {
    const check = { key: 'q', kind: 'window' as const, limit: 5, periodMs: 60_000, cost: 1 };
    const scope = new PrincipalHasher('conformance-secret-0123456789').hash('user', 'noscript');
    expect((await made.store.consume(scope, [check])).allowed).toBe(true);
    await made.client.script('FLUSH');
    expect((await made.store.consume(scope, [check])).states[0]?.remaining).toBe(3);
    await made.client.script('FLUSH');
    expect(await made.store.update(scope, [{ kind: 'remember', key: 'm', members: ['a'], max: 5, ttlMs: 60_000 }])).toEqual([
      { kind: 'remember', seen: [false] },
    ]);
  });

  it('refuses scopes that are not hashes, so no caller shapes a key', async () => {
    await expect(made.store.consume('{evil}:x', [{ key: 'q', kind: 'total', limit: 1, cost: 1 }])).rejects.toMatchObject({ name: 'StoreError' });
    await expect(made.store.update('{evil}:x', [{ kind: 'decay', key: 'r', add: 1, halfLifeMs: 1000 }])).rejects.toMatchObject({ name: 'StoreError' });
    expect(() => new RedisStore({ client: made.client, prefix: 'a{b}' })).toThrow(/prefix: must be a string without { or }/);
  });
});

describe('RedisStore on a Redis Cluster', () => {
  let cluster: LocalCluster;
  let client: Cluster;
  let store: RedisStore;
  beforeAll(async () => {
    cluster = await startCluster();
    client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    client.on('error', () => {});
    await new Promise<void>((r) => client.once('ready', () => r()));
    store = new RedisStore({ client, prefix: 'conf:' });
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });
  suites(() => store, 3);
});

describe('MemoryStore bounds', () => {
  const quota = { key: 'q', kind: 'window' as const, limit: 3, periodMs: 60_000, cost: 1 };

  it('never evicts a live caller; without an overflow bucket (the privacy ledger) a full store refuses new callers', async () => {
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

  it('when full, charges new callers to their overflow bucket with the same limits: no lockout of others, no escape', () => {
    const store = new MemoryStore({ maxKeys: 100, overflowKeys: 10 });
    for (let i = 0; i < 100; i++) store.consumeSync(`known${i}`, [quota]);
    // A flood of new identities from one group: together they get the limit, not the limit each.
    let flood = 0;
    for (let i = 0; i < 50; i++) if (store.consumeSync(`minted${i}`, [quota], { overflowScope: 'ip:198.51.0.0/16' }).allowed) flood++;
    expect(flood).toBe(3);
    // A new caller from elsewhere has its own bucket; known callers keep their own counters.
    const other = store.consumeSync('newcomer', [quota], { overflowScope: 'ip:203.0.0.0/16' });
    expect(other).toMatchObject({ allowed: true, scope: 'overflow:ip:203.0.0.0/16' });
    expect(store.consumeSync('known7', [quota]).states[0]?.remaining).toBe(1);
    // When even the overflow region is full, the last bucket takes the call (never a refusal for being full).
    for (let i = 0; i < 20; i++) store.consumeSync(`g${i}`, [quota], { overflowScope: `ip:10.${i}.0.0/16` });
    const last = store.consumeSync('late', [quota], { overflowScope: 'ip:192.0.0.0/16' });
    expect(last.scope).toBe('overflow:*');
    expect(store.budgetState.overflowKeys).toBeLessThanOrEqual(11);
  });

  it('GCRA above a million units a second is exact (debt in units, not an arrival time in whole µs)', () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    const rate = { key: 'r', kind: 'gcra' as const, limit: 2_000_000, burst: 5, periodMs: 1000, cost: 1 };
    for (let i = 0; i < 5; i++) expect(store.consumeSync('a', [rate]).allowed).toBe(true);
    expect(store.consumeSync('a', [rate])).toMatchObject({ allowed: false, retryAfterMs: 1 });
    now += 1; // 2,000 units drained: the whole burst is back, and no more
    expect(Array.from({ length: 6 }, () => store.consumeSync('a', [rate]).allowed)).toEqual([true, true, true, true, true, false]);
  });

  it('costs a bounded number of sweeps per decision however full it is (no purge of the whole store)', () => {
    let now = 1_000_000;
    const store = new MemoryStore({ maxKeys: 20_000, now: () => now });
    for (let i = 0; i < 20_000; i++) store.consumeSync(`c${i}`, [quota]);
    const before = store.budgetState.swept;
    for (let i = 0; i < 1000; i++) store.consumeSync(`n${i}`, [quota], { overflowScope: 'ip:x' });
    // At most 4 per call, plus 64 when full (each new caller finds the store full).
    expect((store.budgetState.swept - before) / 1000).toBeLessThanOrEqual(4 + 64 * 2);
    now += 60_000; // everything expired: the rotating sweep frees room without a full pass
    let admitted = 0;
    for (let i = 0; i < 2000; i++) if (store.consumeSync(`later${i}`, [quota], { overflowScope: 'ip:y' }).scope === undefined) admitted++;
    expect(admitted).toBeGreaterThan(1000);
  });

  it('bounds detector state by keys and bytes, frees expired keys a few at a time, and never evicts live state', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ maxDetectorKeys: 50, maxDetectorBytes: 200_000, now: () => now });
    const op = (key: string, items: string[]) => ({ kind: 'append' as const, key, items, max: 1000, ttlMs: 1000 });
    for (let i = 0; i < 50; i++) store.updateSync(`s${i}`, [op('l', ['x'])]);
    expect(() => store.updateSync('new', [op('l', ['x'])])).toThrow(/full/);
    expect(store.updateSync('s0', [op('l', ['y'])])[0]).toMatchObject({ kind: 'append', before: ['x'] }); // known keys still served
    now += 2000; // everything expired: the next updates sweep some and fit
    for (let i = 0; i < 50; i++) store.updateSync(`t${i}`, [op('l', ['x'])]);
    expect(store.detectorState.keys).toBeLessThanOrEqual(50);
    const big = 'z'.repeat(4000);
    expect(() => {
      for (let i = 0; i < 100; i++) store.updateSync(`t${i % 50}`, [op('l', Array(20).fill(big))]);
    }).toThrow(/full/);
    expect(store.detectorState.bytes).toBeLessThanOrEqual(200_000);
  });
});
