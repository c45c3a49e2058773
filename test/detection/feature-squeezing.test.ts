/**
 * feature-squeezing on the shipped digits model, real inference: a threshold calibrated on half of
 * the held-out images (5%: all 225 images can promise), false positives on the other half, and the
 * share of naive adversarial examples (score-based and HopSkipJump on the unguarded model) caught.
 */
import { createBulwark, featureSqueezing, isBulwarkError, isConfigError, squeezingScores, squeezingThreshold } from '@bulwark/core';
import { digitsData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { expect, it } from 'vitest';
import { naiveAdversarialDigits } from '../helpers/adversarial-digits.js';

it('calibrated on held-out images, flags few clean digits and most naive adversarial ones; refuses them as anomalous_input', async () => {
  const m = await loadOnnxClassifier(modelPath('digits'));
  const infer = (rows: number[][]) => m.predict(rows);
  const test = digitsData().test.x as number[][];
  const options = { squeezers: [{ kind: 'bit-depth' as const, bits: 3 }], range: [0, 16] as const, shape: [8, 8] as const };
  const calibration = test.slice(0, 225);
  const threshold = squeezingThreshold(await squeezingScores(calibration, await infer(calibration), infer, options), 0.05);
  const clean = test.slice(225);
  const cleanScores = await squeezingScores(clean, await infer(clean), infer, options);
  const fpr = cleanScores.filter((v) => v > threshold).length / clean.length;
  expect(fpr).toBeLessThanOrEqual(0.1);
  const adversarial = await naiveAdversarialDigits(infer, test.slice(225, 255), test.slice(0, 225));
  expect(adversarial.length).toBeGreaterThanOrEqual(40);
  const advScores = await squeezingScores(adversarial, await infer(adversarial), infer, options);
  const caught = advScores.filter((v) => v > threshold).length;
  expect(caught / adversarial.length).toBeGreaterThan(0.35); // about half in pnpm detection (n 240)
  // As a guard: an adversarial row it scores above the threshold is refused, with its path; a clean row answered.
  const guard = featureSqueezing({ ...options, range: [0, 16], shape: [8, 8], threshold }, { infer, model: { name: 'digits', features: 64 } });
  const predict = createBulwark({ guards: [guard] }).wrap(infer);
  const flagged = adversarial[advScores.findIndex((v) => v > threshold)] as number[];
  const err = await predict([flagged], { principal: 'p' }).catch((e: unknown) => e);
  expect(isBulwarkError(err) && { code: err.code, path: err.path }).toEqual({ code: 'anomalous_input', path: 'inputs[0]' });
  const calm = clean[cleanScores.findIndex((v) => v <= threshold)] as number[];
  expect(await predict([calm], { principal: 'p' })).toHaveLength(1);
  await m.close();
});

it('is a configuration error without the model’s inference, or with a shape that does not fit the model', () => {
  const errs: unknown[] = [];
  for (const make of [
    () => featureSqueezing({ range: [0, 16], shape: [8, 8], threshold: 0.5 }),
    () => featureSqueezing({ range: [0, 16], shape: [4, 4], threshold: 0.5 }, { infer: async () => [], model: { name: 'd', features: 64 } }),
  ])
    try {
      make();
    } catch (e) {
      errs.push(e);
    }
  expect(errs.map((e) => isConfigError(e) && e.issues.map((i) => i.path))).toEqual([[''], ['shape']]);
});
