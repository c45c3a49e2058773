/**
 * RedisStore on a real Redis Cluster (three masters on loopback) through ioredis' Cluster client:
 * a caller's checks run as one script on one slot (no CROSSSLOT), callers spread over the nodes,
 * decisions stay exact under concurrency, and a node that forgot the script gets it again.
 */
import { PrincipalHasher } from '@bulwark/core';
import { RedisStore } from '@bulwark/redis-store';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalCluster, startCluster } from '../helpers/redis-cluster.js';

let cluster: LocalCluster;
let client: Cluster;
let store: RedisStore;
beforeAll(async () => {
  cluster = await startCluster();
  client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
  client.on('error', () => {});
  await new Promise<void>((r) => client.once('ready', () => r()));
  store = new RedisStore({ client, prefix: 'cl:' });
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

const checks = [
  { key: 'rate', kind: 'gcra' as const, limit: 1000, burst: 1000, periodMs: 60_000, cost: 1 },
  { key: 'quota:day', kind: 'window' as const, limit: 100, periodMs: 86_400_000, cost: 1 },
];
// A fresh lease per call (a slot each), as the budget guard takes them.
let leases = 0;
const withSlot = () => [...checks, { key: 'inflight', kind: 'concurrency' as const, limit: 1000, cost: 1, lease: { id: `l${++leases}`, ttlMs: 60_000 } }];

it("decides a caller's several limits in one script on one slot, exactly, with callers spread over the nodes", async () => {
  const hasher = new PrincipalHasher('cluster-test-secret-0123456789');
  const scopes = Array.from({ length: 30 }, (_, i) => hasher.hash('api-key', `caller-${i}`));
  for (const scope of scopes) {
    const results = await Promise.all(Array.from({ length: 300 }, () => store.consume(scope, withSlot())));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    expect(results.find((r) => !r.allowed)?.refusedBy).toBe(1);
  }
  // Keys of all callers landed on more than one master.
  const perNode = await Promise.all(client.nodes('master').map((n) => n.dbsize()));
  expect(perNode.filter((n) => n > 0).length).toBeGreaterThan(1);
  // Per caller: one hash of counters (rate and quota) and one sorted set of concurrency leases.
  expect(perNode.reduce((a, b) => a + b, 0)).toBe(scopes.length * 2);
  // The global scope is one more slot.
  expect((await store.consume('global', withSlot())).allowed).toBe(true);
});

it('gets its script back on a node that forgot it', async () => {
  const scope = new PrincipalHasher('cluster-test-secret-0123456789').hash('api-key', 'flush');
  expect((await store.consume(scope, withSlot())).allowed).toBe(true);
  await Promise.all(client.nodes('master').map((n) => n.script('FLUSH')));
  const r = await store.consume(scope, withSlot());
  expect(r.allowed).toBe(true);
  expect(r.states[1]?.remaining).toBe(98);
});
