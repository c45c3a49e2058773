/**
 * Each attack against the real shipped models, in process: it must work against the unguarded
 * model, the output guards must change what it achieves in the documented direction, the same
 * seed must give the same result, and a run that got no answers must say so instead of scoring 0.
 */
import { type AnyGuard, budget, createBulwark, MemoryStore, maskOutput } from '@bulwark/core';
import { digitsData, fraudData, leakyData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier, type OnnxClassifier } from '@bulwark/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adversarialDataset } from '../export.js';
import { checkGates } from '../gates.js';
import type { Mlp } from '../ml/mlp.js';
import { Rng } from '../rng.js';
import { functionTransport } from '../target/function.js';
import { createTarget, type Transport } from '../target/target.js';
import { assertRobust } from '../vitest.js';
import { averagingAttack } from './averaging.js';
import { boundsOf, scaleOf } from './common.js';
import { evasionAttack } from './evasion.js';
import { extractionAttack, softLabel } from './extraction.js';
import { labelOnlyAttack } from './label-only.js';
import { membershipAttack } from './membership.js';
import { transferAttack } from './transfer.js';

let fraud: OnnxClassifier;
let leaky: OnnxClassifier;
let digits: OnnxClassifier;
beforeAll(async () => {
  fraud = await loadOnnxClassifier(modelPath('fraud'));
  leaky = await loadOnnxClassifier(modelPath('leaky'));
  digits = await loadOnnxClassifier(modelPath('digits'));
});
afterAll(async () => {
  await fraud.close();
  await leaky.close();
  await digits.close();
});

const guarded = (m: OnnxClassifier, guards: AnyGuard[]) => createBulwark({ guards }).wrap((rows: number[][]) => m.predict(rows));
const target = (m: OnnxClassifier, guards: AnyGuard[], options = {}) => createTarget('t', functionTransport(guarded(m, guards)), options);
const LABEL = () => [maskOutput({ form: 'label' })];

describe('extraction', () => {
  const d = fraudData();
  const evalX = d.test.x.slice(0, 500);
  const run = async (t: ReturnType<typeof target>, extra = {}) => {
    const targetLabels = (await fraud.predict(evalX)).map((p) => p.label);
    return extractionAttack(t, {
      pool: d.train.x.slice(0, 2000),
      evaluation: { x: evalX, targetLabels, y: d.test.y.slice(0, 500) },
      classes: 2,
      strategy: 'active',
      checkpoints: [100, 600],
      seed: 1,
      ...extra,
    });
  };
  it('clones the unguarded fraud model, with n and an interval, and is deterministic for a seed', async () => {
    const a = await run(target(fraud, []));
    expect(a.fidelity?.value).toBeGreaterThan(0.93);
    expect(a.fidelity?.n).toBe(500);
    expect(a.fidelity?.lo).toBeLessThan(a.fidelity?.value as number);
    expect(a.fidelity?.hi).toBeGreaterThan(a.fidelity?.value as number);
    expect(a.baseline.value).toBeGreaterThan(0.75); // a constant "legit" clone already agrees this often
    expect(a.inconclusive).toBeUndefined();
    expect(a.labelOnly).toBe(false);
    expect(a.stats.rowsSent).toBe(600);
    expect(await run(target(fraud, []))).toEqual(a);
  });

  it('learns from labels only when the guard withholds scores', async () => {
    const r = await run(target(fraud, LABEL()));
    expect(r.labelOnly).toBe(true);
    expect(r.fidelity?.value).toBeGreaterThan(0.85); // labels still leak the boundary: budgets are the real defence
  });

  it('keeps what a top-1 answer says: [p, 0] is [p, 1 − p], not a one-hot label', async () => {
    expect(softLabel({ label: 1, scores: [0, 0.82] }, 2)).toEqual([expect.closeTo(0.18, 9), 0.82]);
    expect(softLabel({ label: 0, scores: [0.6, 0, 0, 0, 0] }, 5)).toEqual([0.6, 0.1, 0.1, 0.1, 0.1]);
    expect(softLabel({ label: 0, scores: [0.33, 0.33, 0.33] }, 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9); // rounded: renormalised
    expect(softLabel({ label: 2 }, 3)).toEqual([0, 0, 1]);
    const top1 = await run(target(fraud, [maskOutput({ form: 'top-k', k: 1, decimals: 2 })]));
    const label = await run(target(fraud, LABEL()));
    expect(top1.labelOnly).toBe(false);
    expect(top1.points.map((p) => p.fidelity?.value)).not.toEqual(label.points.map((p) => p.fidelity?.value));
  });

  it('reports a run the target refused entirely as inconclusive, and gates over it do not pass', async () => {
    const refuseAll: Transport = async () => ({ ok: false, status: 401, code: 'unauthorized' });
    const r = await run(createTarget('nokey', refuseAll));
    expect(r.fidelity).toBeUndefined();
    expect(r.points.every((p) => p.fidelity === undefined)).toBe(true);
    expect(r.inconclusive).toMatch(/^0 answered of \d+ rows sent \(needs 50\); refusals unauthorized×1; the attacker gave up$/);
    const gates = checkGates([{ target: 'nokey', model: 'fraud', result: r }], { extraction: { maxFidelity: 0.5 } });
    expect(gates).toEqual([expect.objectContaining({ status: 'inconclusive', passed: false, value: undefined })]);
    expect(() => assertRobust([{ target: 'nokey', model: 'fraud', result: r }], { extraction: { maxFidelity: 0.5 } })).toThrow(/inconclusive/);
    // A gate naming a target that did not run is missing, not skipped.
    const missing = checkGates([{ target: 'nokey', model: 'fraud', result: r }], { extraction: { maxFidelity: 0.5 }, targets: ['nokey', 'typo'] });
    expect(missing.map((g) => [g.target, g.status])).toEqual([
      ['nokey', 'inconclusive'],
      ['typo', 'missing'],
    ]);
  });

  it('Sybil: N keys each holding 1/N of the queries reach the clone of one unlimited key', async () => {
    const N = 6;
    const budgetRows = 600;
    const perKey = budgetRows / N;
    // Raw answers weigh 4 units a row; the quota admits exactly `perKey` rows a key.
    const limited = () => [budget({ store: new MemoryStore(), tiers: { default: { quotas: [{ limit: perKey * 4, per: 'day' }] } } })];
    const keys = Array.from({ length: N }, (_, i) => `sybil-${i}`);
    const unlimited = await run(target(fraud, []), { batchSize: 25, checkpoints: [budgetRows] });
    const oneKey = await run(target(fraud, limited(), { keys: ['only'] }), { batchSize: 25, checkpoints: [budgetRows] });
    const sybil = await run(target(fraud, limited(), { keys, rotate: 'round-robin' }), { batchSize: 25, checkpoints: [budgetRows] });
    expect(oneKey.stats.rowsAnswered).toBe(perKey);
    expect(oneKey.stats.gaveUp).toBe(true);
    expect(sybil.stats.rowsAnswered).toBe(budgetRows);
    expect(sybil.stats.identities.map((i) => i.rowsAnswered)).toEqual(new Array(N).fill(perKey));
    expect(sybil.maxAnsweredPerIdentity).toBe(perKey);
    // Same queries, same answers: the same clone as the unlimited single key.
    expect(sybil.fidelity).toEqual(unlimited.fidelity);
    expect(oneKey.fidelity?.value).toBeLessThanOrEqual(unlimited.fidelity?.value as number);
    // The report never names the keys.
    expect(JSON.stringify(sybil.stats)).not.toContain('sybil-');
  });

  it('data-free: random queries in the feature box, no attacker rows', async () => {
    const r = await run(target(fraud, []), { pool: [], bounds: boundsOf(d.train.x), strategy: 'random' });
    expect(r.strategy).toBe('random');
    expect(r.fidelity?.value).toBeGreaterThan(0.5);
    await expect(run(target(fraud, []), { pool: [], bounds: boundsOf(d.train.x), strategy: 'active' })).rejects.toThrow(/needs attacker rows/);
  });
});

describe('membership inference', () => {
  const d = leakyData();
  const recipe = {
    hidden: 256,
    trainSize: 400,
    epochs: 40,
    learningRate: 0.005,
    l2: 0,
    labelNoise: 0.15,
    scaling: { mean: new Array(64).fill(0), std: new Array(64).fill(16) },
  };
  const run = (guards: AnyGuard[]) =>
    membershipAttack(target(leaky, guards), {
      members: d.members,
      nonMembers: d.nonmembers,
      population: d.population,
      classes: 10,
      seed: 1,
      sampleSize: 150,
      shadowModels: 2,
      recipe,
      replicates: 300,
    });
  it('detects members of the leaky model with intervals; label-only answers cut the confidence score to chance, not the loss score', async () => {
    const open = await run([]);
    const masked = await run(LABEL());
    expect(open.attacks.confidence?.auc.value).toBeGreaterThan(0.6);
    expect(open.attacks.confidence?.auc.n).toBe(300);
    expect(open.attacks.confidence?.auc.lo).toBeGreaterThan(0.55);
    expect(open.best?.score.advantage.value).toBeGreaterThan(0.3);
    expect(masked.labelOnly).toBe(true);
    expect(masked.attacks.confidence?.auc.value).toBe(0.5);
    expect(masked.best?.score.auc.value).toBeLessThan(open.best?.score.auc.value as number);
    // ...but not to chance: the train/test accuracy gap still shows through labels.
    expect(masked.best?.score.auc.lo).toBeGreaterThan(0.5);
    expect(checkGates([{ target: 'guarded', model: 'leaky', result: masked }], { membership: { maxAdvantage: 0.05 } })[0]?.passed).toBe(false);
    expect(() => assertRobust([{ target: 'guarded', model: 'leaky', result: masked }], { membership: { maxAdvantage: 0.05 } })).toThrow(
      /membership advantage against guarded/,
    );
  });

  it('label-only noise robustness beats the gap attack on label-only answers (Choquette-Choo et al.)', async () => {
    const r = await labelOnlyAttack(target(leaky, LABEL()), {
      members: d.members,
      nonMembers: d.nonmembers,
      population: d.population,
      recipe,
      classes: 10,
      seed: 1,
      bounds: new Array(64).fill([0, 16]),
      sampleSize: 400,
      neighbours: 32,
      replicates: 300,
    });
    expect(r.inconclusive).toBeUndefined();
    expect(r.noise).toBe(0.25); // tuned on a shadow trained by the recipe
    // The gap attack's floor is AUC ≈ 0.59 here (members right 100%, non-members 82%).
    expect(r.score?.auc.value).toBeGreaterThan(0.65);
    expect(r.score?.auc.lo).toBeGreaterThan(0.62);
  });
});

describe('evasion', () => {
  it('keeps L2 searches inside the L2 ball', async () => {
    const d = fraudData();
    const samples = d.test.x.filter((_, i) => d.test.y[i] === 1).slice(0, 25);
    const r = await evasionAttack(target(fraud, []), {
      samples,
      sourceLabel: 1,
      method: 'score',
      norm: 'l2',
      epsilon: 1,
      featureScale: scaleOf(d.train.x),
      bounds: boundsOf(d.train.x),
      mutable: [0, 2, 3, 4, 7],
      seed: 2,
    });
    expect(r.norm).toBe('l2');
    expect(r.succeeded).toBeGreaterThan(0);
    const scale = scaleOf(d.train.x);
    for (const e of r.examples) {
      const l2 = Math.sqrt([0, 2, 3, 4, 7].reduce((s, j) => s + (((e.adversarial[j] as number) - (e.original[j] as number)) / (scale[j] as number)) ** 2, 0));
      expect(l2).toBeLessThanOrEqual(1 + 1e-9);
      expect(e.distance).toBeCloseTo(l2, 9);
    }
  });

  it('flips fraud verdicts of the unguarded model within the budget, and exports them for retraining', async () => {
    const d = fraudData();
    const samples = d.test.x.filter((_, i) => d.test.y[i] === 1).slice(0, 25);
    for (const method of ['score', 'decision', 'hopskipjump'] as const) {
      const r = await evasionAttack(target(fraud, []), {
        samples,
        trueLabels: samples.map(() => 1),
        sourceLabel: 1,
        method,
        epsilon: 0.5,
        featureScale: scaleOf(d.train.x),
        bounds: boundsOf(d.train.x),
        mutable: [0, 2, 3, 4, 7],
        startPool: d.train.x.slice(0, 500),
        seed: 1,
      });
      expect(r.attempted).toBeGreaterThan(5);
      expect(r.wanted).toBe(r.attempted); // every row reached and flagged
      expect(r.successRate?.value, method).toBeGreaterThan(0.2);
      for (const e of r.examples) {
        expect(e.newLabel).toBe(0);
        expect(e.distance).toBeLessThanOrEqual(0.5 + 1e-9);
        expect((await fraud.predict([e.adversarial as number[]]))[0]?.label).toBe(0);
        for (const j of [1, 5, 6]) expect(e.adversarial[j]).toBe(e.original[j]); // immutable features untouched
      }
      const jsonl = adversarialDataset(r, 'jsonl').trim().split('\n');
      expect(jsonl).toHaveLength(r.succeeded);
      expect(JSON.parse(jsonl[0] as string)).toMatchObject({ y: 1, x: expect.any(Array) });
      expect(adversarialDataset(r, 'csv', d.features).split('\n')[0]).toBe(`${d.features.join(',')},label`);
    }
  });

  it('HopSkipJump flips the unguarded digits model (labels only), L∞ and L2', async () => {
    const d = digitsData();
    const half = Math.floor(d.test.x.length / 2);
    for (const norm of ['linf', 'l2'] as const) {
      const r = await evasionAttack(target(digits, LABEL()), {
        samples: d.test.x.slice(half, half + 30),
        method: 'hopskipjump',
        norm,
        // L∞ 0.25 (4 of 16 grey levels per pixel); L2 1 (16 levels in all: e.g. 4 pixels by 8).
        epsilon: norm === 'linf' ? 0.25 : 1,
        featureScale: new Array(64).fill(16),
        bounds: new Array(64).fill([0, 16]),
        startPool: d.test.x.slice(0, half),
        seed: 1,
        maxQueriesPerSample: 1000,
      });
      expect(r.attempted).toBe(30);
      expect(r.successRate?.lo, norm).toBeGreaterThan(0.6);
      for (const e of r.examples) expect(e.distance).toBeLessThanOrEqual((norm === 'linf' ? 0.25 : 1) + 1e-9);
      for (const e of r.examples) expect((await digits.predict([e.adversarial as number[]]))[0]?.label).not.toBe(e.originalLabel);
    }
  });

  it('a budget that stops attempts shows as fewer successes per wanted row, not as a lower rate', async () => {
    const d = fraudData();
    const samples = d.test.x.filter((_, i) => d.test.y[i] === 1).slice(0, 60);
    const common = {
      samples,
      sourceLabel: 1,
      method: 'score' as const,
      epsilon: 0.5,
      featureScale: scaleOf(d.train.x),
      bounds: boundsOf(d.train.x),
      mutable: [0, 2, 3, 4, 7],
      seed: 1,
      minAttempted: 5,
    };
    const open = await evasionAttack(target(fraud, []), common);
    const capped = await evasionAttack(
      target(fraud, [budget({ store: new MemoryStore(), tiers: { default: { quotas: [{ limit: 1500 * 4, per: 'day' }] } } })]),
      common,
    );
    expect(capped.stats.gaveUp).toBe(true);
    expect(capped.attempted).toBeLessThan(open.attempted);
    expect(capped.successPerWanted.value).toBeLessThan(open.successPerWanted.value);
    // Per attempted row the rate is about the same: the budget did not make the search worse.
    expect(Math.abs((capped.successRate?.value as number) - (open.successRate?.value as number))).toBeLessThan(0.3);
    expect(capped.progressCurve.length).toBeGreaterThan(1);
  });

  it('transfer: rows crafted on an extracted surrogate, no attacker query, flip the target', async () => {
    const d = fraudData();
    let surrogate: Mlp | undefined;
    const evalX = d.test.x.slice(0, 300);
    await extractionAttack(target(fraud, []), {
      pool: d.train.x.slice(0, 2000),
      evaluation: { x: evalX, targetLabels: (await fraud.predict(evalX)).map((p) => p.label) },
      classes: 2,
      strategy: 'active',
      checkpoints: [1500],
      seed: 1,
      onSurrogate: (m) => {
        surrogate = m;
      },
    });
    const judge = target(fraud, []);
    const r = await transferAttack(surrogate as Mlp, judge, {
      samples: d.test.x.filter((_, i) => d.test.y[i] === 1).slice(0, 200),
      sourceLabel: 1,
      epsilon: 0.5,
      featureScale: scaleOf(d.train.x),
      bounds: boundsOf(d.train.x),
      mutable: [0, 2, 3, 4, 7],
    });
    expect(r.attackerQueries).toBe(0);
    expect(r.attempted).toBeGreaterThan(50);
    expect(r.transferRate?.lo).toBeGreaterThan(0.2);
    expect(r.transferred).toBeLessThanOrEqual(r.attempted);
  });
});

describe('averaging', () => {
  const d = fraudData();
  const rows = d.test.x.slice(0, 30);
  it('measures how far averaging narrows noise: not at all on deterministic answers, ~√n on independent noise', async () => {
    const reference = (await fraud.predict(rows)).map((p) => [...(p.scores ?? [])]);
    const flat = await averagingAttack(target(fraud, []), { rows, reference, repeats: [1, 16], seed: 1 });
    expect(flat.points[0]?.error.value).toBeLessThan(1e-6);
    // Independent noise per answer (what a naive noise guard does): averaging removes it.
    const noise = new Rng(9);
    const noisy: Transport = async (batch) => ({
      ok: true,
      answers: (await fraud.predict(batch as number[][])).map((p) => {
        // Unclamped, so the noise is unbiased (clamping at 0 and 1 would bias the average).
        const s1 = (p.scores?.[1] as number) + (noise.next() - 0.5) * 0.4;
        return { label: p.label, scores: [1 - s1, s1] };
      }),
    });
    const avg = await averagingAttack(createTarget('noisy', noisy), { rows, reference, repeats: [1, 16], seed: 1 });
    expect(avg.narrowing).toBeGreaterThan(2.5);
    expect(avg.points[1]?.error.hi).toBeLessThan(avg.points[0]?.error.lo as number);
    // Label-only answers: nothing to average.
    expect((await averagingAttack(target(fraud, LABEL()), { rows, reference, seed: 1 })).inconclusive).toMatch(/answers with scores/);
  });
});
