import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import { isBulwarkError, isConfigError } from '../../errors.js';
import { riskKey } from '../../signals.js';
import { MemoryStore } from '../../stores/memory.js';
import { asyncDetectorStore } from '../../testing/stores.js';
import type { AnyGuard, Prediction } from '../../types.js';
import { budget } from '../budget/index.js';
import { riskResponse } from './index.js';

/** A detector that raises the signal for rows whose first feature is negative (a stand-in for ood or near-duplicates). */
const detector = (mode?: 'monitor'): AnyGuard => ({
  name: 'test-detector',
  mode,
  signals: { writes: [riskKey] },
  beforeInference: (ctx) =>
    (ctx.input as number[][]).some((r) => (r[0] as number) < 0)
      ? { action: 'flag', code: 'suspicious', message: 'negative', signals: [riskKey.of(1)] }
      : undefined,
});

const model = (rows: number[][]): Prediction[] => rows.map(() => ({ label: 1, scores: [0.1234, 0.8766] }));

function setup(mode?: 'monitor', path: 'sync' | 'async' = 'sync') {
  let now = 1_000_000;
  const clock = { now: () => now };
  const memory = new MemoryStore({ now: clock.now });
  const store = path === 'sync' ? memory : asyncDetectorStore(memory);
  const predict = createBulwark({ guards: [riskResponse({}, { stores: { memory: store } }), detector(mode)] }).wrap(model);
  return {
    predict,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('risk-response', () => {
  it.each([
    'sync',
    'async',
  ] as const)('answers a caller less and less as its detections add up, then refuses it until its risk decays (%s store)', async (path) => {
    const { predict, advance } = setup(undefined, path);
    const bad = [[-1, 0]];
    const good = [[1, 0]];
    const full = [{ label: 1, scores: [0.1234, 0.8766] }];
    expect(await predict(good, { principal: 'p' })).toEqual(full);
    // Answers follow the points the caller had when the call began; a detection counts from the next call.
    expect(await predict(bad, { principal: 'p' })).toEqual(full); // 0 → 2 points
    expect(await predict(good, { principal: 'p' })).toEqual([{ label: 1, scores: [0.1, 0.9] }]); // 2: rounded
    expect(await predict(good, { principal: 'other' })).toEqual(full); // others untouched
    expect(await predict(bad, { principal: 'p' })).toEqual([{ label: 1, scores: [0.1, 0.9] }]); // 2: rounded → 4
    expect(await predict(bad, { principal: 'p' })).toEqual([{ label: 1, scores: [0, 0.9] }]); // 4: top-1 → 6
    expect(await predict(bad, { principal: 'p' })).toEqual([{ label: 1 }]); // 6: label only → 8
    for (let i = 0; i < 2; i++) await predict(bad, { principal: 'p' }); // → 10, → 12
    const err = await predict(good, { principal: 'p' }).catch((e: unknown) => e); // 12: refused
    expect(isBulwarkError(err) && { code: err.code, status: err.status }).toEqual({ code: 'caller_blocked', status: 403 });
    const wait = (err as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(wait).toBeGreaterThan(0);
    advance((wait + 1) * 1000);
    expect(await predict(good, { principal: 'p' })).toEqual([{ label: 1 }]); // decayed below 12, still ≥ 6
    advance(3_600_000);
    expect(await predict(good, { principal: 'p' })).toEqual(full); // an hour later: full answers
  });

  it('tighten: labels only and a budget divided by tightenBy for the risky caller, recorded as a decision; others keep theirs', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    const guards = [
      riskResponse({ levels: [{ at: 1, respond: 'tighten' }], tightenBy: 10 }, { stores: { memory: store } }),
      detector(),
      budget({ store, tightenOnRisk: true, tiers: { default: { quotas: [{ limit: 80, per: 'day' }] } } }),
    ];
    const g = createBulwark({ guards }).wrap(model);
    // One detection: 2 points, from the next call on the caller is at the tighten level.
    expect(await g([[-1, 0]], { principal: 'p' })).toEqual([{ label: 1, scores: [0.1234, 0.8766] }]);
    const r = await g.run([[1, 0]], { principal: 'p' });
    expect(r.output).toEqual([{ label: 1 }]);
    const d = r.decisions.find((x) => x.guard === 'risk-response' && x.action === 'flag');
    expect(d).toMatchObject({ code: 'risk_budget_tightened', attributes: { 'bulwark.risk.level': 'tighten' } });
    // The day quota is 80 units (a raw row costs 4, a label 1, reserved at 4). Tightened by 10: 8
    // units, of which the first (raw) call spent 4 and the label-only one 1: a third is refused.
    const refused = await g([[1, 0]], { principal: 'p' }).catch((e: unknown) => e);
    expect(isBulwarkError(refused) && refused.code).toBe('budget_exhausted');
    expect((refused as Error).message).toMatch(/divided by 10 by this caller's risk/);
    // Another caller has its whole quota.
    for (let i = 0; i < 20; i++) await g([[1, 0]], { principal: 'q' });
    await expect(g([[1, 0]], { principal: 'q' })).rejects.toMatchObject({ code: 'budget_exhausted' });
    // Risk decays: a day later (new quota window), untightened, full answers.
    now += 86_400_000;
    expect(await g([[1, 0]], { principal: 'p' })).toEqual([{ label: 1, scores: [0.1234, 0.8766] }]);
  });

  it('a budget that reads the tightening signal needs risk-response before it', () => {
    const store = new MemoryStore();
    let err: unknown;
    try {
      createBulwark({ guards: [budget({ store, tightenOnRisk: true, tiers: { default: { quotas: [{ limit: 4, per: 'day' }] } } })] });
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err) && err.message).toMatch(/bulwark\.budget\.tightening/);
  });

  it('counts the detections of calls a detector refused: six refused probes block the caller', async () => {
    const store = new MemoryStore({ now: () => 1_000_000 });
    const refusing: AnyGuard = {
      name: 'refusing-detector',
      signals: { writes: [riskKey] },
      beforeInference: (ctx) =>
        (ctx.input as number[][]).some((r) => (r[0] as number) < 0)
          ? { action: 'deny', code: 'attack_suspected', message: 'probe', signals: [riskKey.of(1)] }
          : undefined,
    };
    const predict = createBulwark({ guards: [riskResponse({}, { stores: { memory: store } }), refusing] }).wrap(model);
    for (let i = 0; i < 6; i++)
      expect(await predict([[-1, 0]], { principal: 'p' }).catch((e: unknown) => isBulwarkError(e) && e.code)).toBe('attack_suspected');
    expect(await predict([[1, 0]], { principal: 'p' }).catch((e: unknown) => isBulwarkError(e) && e.code)).toBe('caller_blocked');
  });

  it('changes nobody’s answers while the detectors only monitor', async () => {
    const { predict } = setup('monitor');
    for (let i = 0; i < 20; i++) expect(await predict([[-1, 0]], { principal: 'p' })).toEqual([{ label: 1, scores: [0.1234, 0.8766] }]);
  });

  it('needs a detector in the pipeline, before or after it', () => {
    let err: unknown;
    try {
      createBulwark({ guards: [riskResponse({}, { stores: { memory: new MemoryStore() } })] });
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err) && err.issues.map((i) => [i.code, i.path])).toEqual([['signal_order', 'guards[0].signals.settles']]);
  });

  it('refuses levels that do not rise', () => {
    let err: unknown;
    try {
      riskResponse({
        levels: [
          { at: 4, respond: 'label' },
          { at: 2, respond: 'deny' },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err) && err.issues[0]?.path).toBe('levels[1]');
  });
});
