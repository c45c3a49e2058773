import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../stores/memory.js';
import { StoreError } from '../stores/types.js';
import { epsilonAt, PrivacyLedger, toMicro } from './privacy-ledger.js';

describe('PrivacyLedger', () => {
  it('charges integer micro-units, rounded up', () => {
    expect(toMicro(0.3)).toBe(300_000);
    expect(toMicro(0.01)).toBe(10_000);
    expect(toMicro(1e-7)).toBe(1);
    expect(() => toMicro(-1)).toThrow(RangeError);
    expect(() => toMicro(Number.NaN)).toThrow(RangeError);
  });

  it('pure ε: basic composition, exact budget, refund only before commit and only once', async () => {
    const ledger = new PrivacyLedger({ store: new MemoryStore(), perCaller: { lifetime: 0.1 } });
    const rs = [];
    for (let i = 0; i < 10; i++) rs.push(await ledger.reserve('c', 0.01));
    await expect(ledger.reserve('c', 0.01)).rejects.toMatchObject({ code: 'budget_exhausted', status: 429 });
    rs[0]?.commit();
    await rs[0]?.refund(); // released: no refund
    await rs[1]?.refund();
    await rs[1]?.refund(); // only once
    expect(await ledger.remaining('c')).toBe(10_000);
    expect(await ledger.report('c')).toMatchObject({ accounting: 'pure', spent: 0.09, epsilon: 0.09 });
  });

  it('zCDP: ρ adds up and reports the (ε, δ) it implies', async () => {
    const ledger = new PrivacyLedger({ store: new MemoryStore(), accounting: 'zcdp', perCaller: { lifetime: 1 } });
    // 1,000 releases of a pure ε = 0.01 mechanism: ρ = ε²/2 each.
    for (let i = 0; i < 1000; i++) (await ledger.reserve('c', 0.01 ** 2 / 2)).commit();
    const r = await ledger.report('c', 1e-6);
    expect(r.spent).toBeCloseTo(0.05, 9);
    expect(r.epsilon).toBeCloseTo(epsilonAt(0.05, 1e-6), 9);
    expect(r.epsilon).toBeGreaterThan(1.7);
    expect(r.epsilon).toBeLessThan(1.72); // against 10 with basic composition
  });

  it('has a global budget that colluding callers share', async () => {
    const ledger = new PrivacyLedger({ store: new MemoryStore(), perCaller: { lifetime: 1 }, global: { lifetime: 0.05 } });
    for (let i = 0; i < 5; i++) await ledger.reserve(`caller-${i}`, 0.01);
    await expect(ledger.reserve('caller-9', 0.01)).rejects.toMatchObject({ code: 'budget_exhausted', message: 'global privacy budget spent' });
    expect(await ledger.remaining('caller-9')).toBe(1_000_000); // the refused caller was refunded
  });

  it('fails closed when the store fails', async () => {
    const broken = { name: 'x', localKeys: false, consume: () => Promise.reject(new StoreError('down')), refund: () => Promise.resolve() };
    await expect(new PrivacyLedger({ store: broken, perCaller: { lifetime: 1 } }).reserve('c', 0.1)).rejects.toMatchObject({
      code: 'store_unavailable',
      status: 503,
    });
  });
});
