import { describe, expect, it } from 'vitest';
import { createTarget, type Reply } from './target.js';

const ok: Reply = { ok: true, answers: [{ label: 1 }] };

describe('createTarget refusal handling', () => {
  it('rotates to the next key when one is rate limited', async () => {
    const used: (string | undefined)[] = [];
    const t = createTarget(
      't',
      async (_rows, key) => {
        used.push(key);
        return key === 'k1' ? { ok: false, status: 429, code: 'rate_limited', retryAfterSeconds: 3600 } : ok;
      },
      { keys: ['k1', 'k2'] },
    );
    expect(await t.query([[1]])).toEqual([{ label: 1 }]);
    expect(used).toEqual(['k1', 'k2']);
    expect(t.stats).toMatchObject({ keyRotations: 1, refusals: { rate_limited: 1 }, rowsAnswered: 1, gaveUp: false });
  });

  it('waits out a short Retry-After, and gives up on a long one', async () => {
    const waits: number[] = [];
    let calls = 0;
    const t = createTarget('t', async () => (++calls === 1 ? { ok: false, status: 429, code: 'rate_limited', retryAfterSeconds: 1 } : ok), {
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await t.query([[1]])).toHaveLength(1);
    expect(waits).toEqual([1000]);
    const stuck = createTarget('t', async () => ({ ok: false, status: 429, code: 'budget_exhausted', retryAfterSeconds: 86_400 }), { sleep: async () => {} });
    expect(await stuck.query([[1]])).toBeUndefined();
    expect(stuck.stats.gaveUp).toBe(true);
    expect(await stuck.query([[1]])).toBeUndefined();
  });

  it('skips inputs refused as anomalous and goes on', async () => {
    const t = createTarget('t', async (rows) => ((rows[0]?.[0] ?? 0) > 5 ? { ok: false, status: 422, code: 'anomalous_input' } : ok));
    expect(await t.query([[9]])).toBeUndefined();
    expect(await t.query([[1]])).toHaveLength(1);
    expect(t.stats).toMatchObject({ refusals: { anomalous_input: 1 }, gaveUp: false, rowsSent: 2, rowsAnswered: 1 });
  });

  it('retries server errors with backoff, then moves on', async () => {
    let calls = 0;
    const t = createTarget(
      't',
      async () => {
        calls++;
        throw new Error('connection reset');
      },
      { sleep: async () => {}, maxRetries: 2 },
    );
    expect(await t.query([[1]])).toBeUndefined();
    expect(calls).toBe(3);
  });
});
