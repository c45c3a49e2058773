/**
 * One replica for the distributed tests, in its own process: a guarded function with a budget
 * guard on a shared RedisStore, driven by its parent over IPC. With SKEW_MS set, this process's
 * clock (Date.now, performance.now) runs that far off: decisions must not depend on it.
 */
import { budget, createBulwark, PrivacyLedger } from '@bulwark/core';
import { RedisStore } from '@bulwark/redis-store';
import { Redis } from 'ioredis';

const skew = Number(process.env.SKEW_MS ?? 0);
if (skew !== 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + skew;
  const realPerf = performance.now.bind(performance);
  performance.now = () => realPerf() + skew;
}

const client = new Redis(process.env.REDIS_URL as string, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
client.on('error', () => {});
await new Promise<void>((r) => client.once('ready', () => r()));
const store = new RedisStore({ client, prefix: process.env.PREFIX as string });
const principalSecret = 'replicas-share-this-secret-0123';
const weights = { label: 1, 'top-k': 1, rounded: 1, raw: 1 };
const quota = createBulwark({
  principalSecret,
  guards: [budget({ store, tiers: { default: { quotas: [{ limit: 100, per: 'day' }] } }, weights, storeTimeoutMs: 5000 })],
}).wrap((rows: number[][]) => rows.map(() => ({ label: 0 })));
const rate = createBulwark({
  principalSecret,
  guards: [budget({ store, tiers: { default: { rate: { limit: 100, per: 'hour', burst: 100 } } }, weights, storeTimeoutMs: 5000 })],
}).wrap((rows: number[][]) => rows.map(() => ({ label: 0 })));
const ledger = new PrivacyLedger({ store, perCaller: { lifetime: 1.0 }, global: { lifetime: 1000 } });

type Msg = { kind: 'quota' | 'rate' | 'ledger'; trial: string; n: number };
process.on('message', async (m: Msg) => {
  const codes: Record<string, number> = {};
  let admitted = 0;
  if (m.kind === 'ledger') {
    const scope = createBulwark({ principalSecret }).principals.hash('user', m.trial);
    // Three in every ten granted reservations fail between reserve and release. Counted, not drawn:
    // the share is the same every trial, so the test's lower bound on commits cannot flake.
    let granted = 0;
    await Promise.all(
      Array.from({ length: m.n }, async () => {
        try {
          const r = await ledger.reserve(scope, 0.01);
          if (granted++ % 10 < 3) {
            await r.refund(); // injected failure between reserve and release: nothing released
            codes.refunded = (codes.refunded ?? 0) + 1;
          } else {
            r.commit();
            admitted++;
          }
        } catch (e) {
          const c = (e as { code?: string }).code ?? 'error';
          codes[c] = (codes[c] ?? 0) + 1;
        }
      }),
    );
  } else {
    const g = m.kind === 'quota' ? quota : rate;
    await Promise.all(
      Array.from({ length: m.n }, async () => {
        try {
          await g([[1]], { principal: m.trial });
          admitted++;
        } catch (e) {
          const c = (e as { code?: string }).code ?? 'error';
          codes[c] = (codes[c] ?? 0) + 1;
        }
      }),
    );
  }
  process.send?.({ trial: m.trial, admitted, codes });
});
process.send?.({ ready: true });
process.on('disconnect', () => {
  client.disconnect();
  process.exit(0);
});
