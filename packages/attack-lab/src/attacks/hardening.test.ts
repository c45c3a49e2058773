/**
 * The hardening loop's result, checked: the fraud model retrained with the attack lab's exported
 * adversarial examples (`pnpm harden`) is evaded less often on held-out flagged rows, same attack,
 * same seed. (Short version of the figures in docs/robustness.md.)
 */
import { createBulwark } from '@bulwark/core';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { expect, it } from 'vitest';
import { functionTransport } from '../target/function.js';
import { createTarget } from '../target/target.js';
import { boundsOf, scaleOf } from './common.js';
import { evasionAttack } from './evasion.js';

it('adversarial training lowers the evasion success rate on held-out rows', async () => {
  const d = fraudData();
  const samples = d.test.x.filter((_, i) => d.test.y[i] === 1).slice(0, 200);
  const rate = async (name: 'fraud' | 'fraud-hardened') => {
    const model = await loadOnnxClassifier(modelPath(name));
    const guarded = createBulwark().wrap((rows: number[][]) => model.predict(rows));
    const r = await evasionAttack(createTarget(name, functionTransport(guarded)), {
      samples,
      sourceLabel: 1,
      method: 'score',
      epsilon: 0.5,
      featureScale: scaleOf(d.train.x),
      bounds: boundsOf(d.train.x),
      mutable: [0, 2, 3, 4, 7],
      seed: 1,
    });
    await model.close();
    return r.successRate?.value as number;
  };
  const before = await rate('fraud');
  const after = await rate('fraud-hardened');
  expect(before).toBeGreaterThan(0.5);
  expect(after).toBeLessThan(before - 0.05);
});
