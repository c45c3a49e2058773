/**
 * LiRA checked against a known answer: the reference computed by the training script
 * (`train.py --lira-reference`: 16 sklearn shadows by the leaky model's recipe, offline, fixed
 * variance, all 400 members and 400 non-members, 95% bootstrap intervals). The lab's own LiRA,
 * with its own shadows, must land inside the reference's interval, on raw scores and on scores
 * rounded to 2 decimals (where rounding *raises* what LiRA finds).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createBulwark, maskOutput } from '@bulwark/core';
import { leakyData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { expect, it } from 'vitest';
import { functionTransport } from '../target/function.js';
import { createTarget } from '../target/target.js';
import { liraAttack, trainShadows } from './lira.js';

const reference = JSON.parse(readFileSync(fileURLToPath(new URL('../../../models/data/leaky-lira-reference.json', import.meta.url)), 'utf8'));

it('offline LiRA on the leaky model lands inside the sklearn reference interval (raw and rounded)', async () => {
  const d = leakyData();
  const model = await loadOnnxClassifier(modelPath('leaky'));
  const recipe = {
    hidden: 256,
    trainSize: 400,
    epochs: 60,
    learningRate: 0.005,
    l2: 0,
    labelNoise: 0.15,
    scaling: { mean: new Array(64).fill(0), std: new Array(64).fill(16) },
  };
  const shadows = trainShadows(d.population, 10, recipe, reference.shadows, 1);
  const attack = async (rounded: boolean) =>
    liraAttack(
      createTarget(
        't',
        functionTransport(
          createBulwark({ guards: rounded ? [maskOutput({ form: 'rounded', decimals: 2 })] : [] }).wrap((rows: number[][]) => model.predict(rows)),
        ),
      ),
      {
        members: d.members,
        nonMembers: d.nonmembers,
        population: d.population,
        classes: 10,
        seed: 1,
        recipe,
        trainedShadows: shadows,
        sampleSize: 400,
        replicates: 500,
      },
    );
  for (const [name, rounded] of [
    ['raw', false],
    ['rounded2', true],
  ] as const) {
    const r = await attack(rounded);
    const ref = reference[name];
    const tpr = r.score?.tprAt1PctFpr;
    expect(r.answered).toEqual({ members: 400, nonMembers: 400 });
    expect(r.variance).toBe('fixed');
    expect(tpr?.value, `${name}: ${tpr?.value} vs reference ${ref.tprAt1PctFpr} ${ref.tprAt1PctFprInterval}`).toBeGreaterThanOrEqual(
      ref.tprAt1PctFprInterval[0],
    );
    expect(tpr?.value).toBeLessThanOrEqual(ref.tprAt1PctFprInterval[1]);
    // And the two intervals overlap the other way round too.
    expect(tpr?.lo).toBeLessThanOrEqual(ref.tprAt1PctFpr);
    expect(tpr?.hi).toBeGreaterThanOrEqual(ref.tprAt1PctFpr);
    expect(r.score?.fprResolution).toBe(1 / 400);
  }
  await model.close();
});
