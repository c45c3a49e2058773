/**
 * canaries on the shipped fraud model: a registered input, and rows near it, are refused without
 * saying why, and the caller's risk goes up at once; none of the 4,000 held-out transactions is
 * near a canary.
 */
import { fileURLToPath } from 'node:url';
import { canaries, createBulwark, isBulwarkError, isConfigError, MemoryStore, riskResponse } from '@bulwark/core';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { expect, it } from 'vitest';

const profile = fileURLToPath(new URL('../../policies/profiles/fraud.json', import.meta.url));
// Transactions that cannot happen: a card present at 3 a.m. 9,000 km from home, on an account a day old.
const canaryRows = [
  [4321.5, 3, 0.97, 9000, 7, 1, 1, 1],
  [12.34, 4, 0.01, 8500, 9, 1, 0, 2],
];

it('refuses canaries and rows near them without naming them, raises the caller’s risk, and leaves held-out traffic alone', async () => {
  const model = await loadOnnxClassifier(modelPath('fraud'));
  const predict = createBulwark({
    // risk-response first, as in the policies: a call refused by a later guard still counts.
    guards: [riskResponse({}, { stores: { memory: new MemoryStore({ now: () => 1_000_000 }) } }), canaries({ inputs: canaryRows, radius: 0.5, profile })],
  }).wrap((rows: number[][]) => model.predict(rows));
  let refused = 0;
  for (const row of fraudData().test.x as number[][]) if ((await predict([row], { principal: 'honest' }).catch(() => 'refused')) === 'refused') refused++;
  expect(refused).toBe(0);
  const near = (canaryRows[0] as number[]).map((v, j) => (j === 0 ? v + 10 : v)); // $10 more: well inside 0.5 sd
  for (const row of [canaryRows[0], near, canaryRows[1]] as number[][]) {
    const err = await predict([row], { principal: 'prober' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && { code: err.code, message: err.message }).toEqual({
      code: 'attack_suspected',
      message: 'the request matches a pattern of abuse',
    });
  }
  // Three refusals later the prober's answers are already reduced (risk points 6: label only; the store's clock is frozen).
  const after = await predict([fraudData().test.x[0] as number[]], { principal: 'prober' });
  expect(after[0]?.scores).toBeUndefined();
  expect((await predict([fraudData().test.x[0] as number[]], { principal: 'honest' }))[0]?.scores).toHaveLength(2);
  await model.close();
});

it('refuses canaries of the wrong width', () => {
  let err: unknown;
  try {
    canaries({ inputs: [[1, 2, 3]] }, { model: { name: 'fraud', features: 8 } });
  } catch (e) {
    err = e;
  }
  expect(isConfigError(err) && err.issues[0]?.code).toBe('model_mismatch');
});
