/**
 * Each attack against the real shipped models, in process: it must work against the unguarded
 * model, the output guards must change what it achieves in the documented direction, and the same
 * seed must give the same result.
 */
import { type AnyGuard, createBulwark, maskOutput } from '@bulwark/core';
import { fraudData, leakyData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier, type OnnxClassifier } from '@bulwark/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adversarialDataset } from '../export.js';
import { checkGates } from '../gates.js';
import { functionTransport } from '../target/function.js';
import { createTarget } from '../target/target.js';
import { assertRobust } from '../vitest.js';
import { boundsOf, scaleOf } from './common.js';
import { evasionAttack } from './evasion.js';
import { extractionAttack } from './extraction.js';
import { membershipAttack } from './membership.js';

let fraud: OnnxClassifier;
let leaky: OnnxClassifier;
beforeAll(async () => {
  fraud = await loadOnnxClassifier(modelPath('fraud'));
  leaky = await loadOnnxClassifier(modelPath('leaky'));
});
afterAll(async () => {
  await fraud.close();
  await leaky.close();
});

const target = (m: OnnxClassifier, guards: AnyGuard[]) =>
  createTarget('t', functionTransport(createBulwark({ guards }).wrap((rows: number[][]) => m.predict(rows))));
const LABEL = () => [maskOutput({ form: 'label' })];

describe('extraction', () => {
  const run = async (guards: AnyGuard[], seed = 1) => {
    const d = fraudData();
    const evalX = d.test.x.slice(0, 500);
    const targetLabels = (await fraud.predict(evalX)).map((p) => p.label);
    return extractionAttack(target(fraud, guards), {
      pool: d.train.x.slice(0, 2000),
      evaluation: { x: evalX, targetLabels, y: d.test.y.slice(0, 500) },
      classes: 2,
      strategy: 'active',
      checkpoints: [100, 600],
      seed,
    });
  };
  it('clones the unguarded fraud model, and is deterministic for a seed', async () => {
    const a = await run([]);
    expect(a.finalFidelity).toBeGreaterThan(0.93);
    expect(a.labelOnly).toBe(false);
    expect(a.stats.rowsSent).toBe(600);
    expect(await run([])).toEqual(a);
  });
  it('learns from labels only when the guard withholds scores', async () => {
    const r = await run(LABEL());
    expect(r.labelOnly).toBe(true);
    expect(r.finalFidelity).toBeGreaterThan(0.85); // labels still leak the boundary: budgets are the real defence
  });
});

describe('membership inference', () => {
  const run = (guards: AnyGuard[]) => {
    const d = leakyData();
    return membershipAttack(target(leaky, guards), {
      members: d.members,
      nonMembers: d.nonmembers,
      population: d.population,
      classes: 10,
      seed: 1,
      sampleSize: 150,
      shadowModels: 2,
      shadowEpochs: 40,
    });
  };
  it('detects members of the leaky model, and label-only answers cut the confidence attack to chance', async () => {
    const open = await run([]);
    const masked = await run(LABEL());
    expect(open.attacks.confidence?.auc).toBeGreaterThan(0.6);
    expect(open.best.advantage).toBeGreaterThan(0.3);
    expect(masked.labelOnly).toBe(true);
    expect(masked.attacks.confidence?.auc).toBe(0.5);
    expect(masked.best.advantage).toBeLessThan(open.best.advantage);
    // ...but not to zero: the train/test accuracy gap still shows through labels.
    expect(masked.best.advantage).toBeGreaterThan(0.1);
    expect(checkGates([{ target: 'guarded', model: 'leaky', result: masked }], { membership: { maxAdvantage: 0.05 } })[0]?.passed).toBe(false);
    expect(() => assertRobust([{ target: 'guarded', model: 'leaky', result: masked }], { membership: { maxAdvantage: 0.05 } })).toThrow(
      /membership advantage against guarded/,
    );
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
    for (const method of ['score', 'decision'] as const) {
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
      expect(r.successRate).toBeGreaterThan(0.2);
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
});
