/** Runs the custom guard in monitor mode, then enforcing, on two transactions. */
import { createBulwark, isBulwarkError } from '@bulwark/core';
import { modelPath, modelsPublicKey } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { featureRange } from './feature-range.js';
import { trainingRanges } from './ranges.js';

const model = await loadOnnxClassifier(modelPath('fraud'), { verifyWith: modelsPublicKey() }); // the shipped models are signed
const normal = [42, 13, 0.2, 5, 0, 1, 0, 900];
const crafted = [42, 13, 0.2, 5, 0, 1, 0, 1e6]; // an account age no real card has
for (const mode of ['monitor', 'enforce'] as const) {
  const predict = createBulwark({
    guards: [featureRange({ ranges: trainingRanges(), mode })],
    onDecision: (d) => process.stdout.write(`  [${mode}] ${d.guard}: ${d.action} ${d.code} (${d.message}), enforced=${d.enforced}\n`),
  }).wrap((rows: number[][]) => model.predict(rows));
  for (const row of [normal, crafted]) {
    try {
      const [p] = await predict([row], { principal: 'example' });
      process.stdout.write(`[${mode}] p(fraud)=${p?.scores?.[1]?.toFixed(3)}\n`);
    } catch (e) {
      if (!isBulwarkError(e)) throw e;
      process.stdout.write(`[${mode}] refused: ${e.code} ${e.message}\n`);
    }
  }
}
await model.close();
