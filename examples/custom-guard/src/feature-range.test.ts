import { createBulwark } from '@bulwark/core';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { expect, it } from 'vitest';
import { featureRange } from './feature-range.js';
import { trainingRanges } from './ranges.js';

const crafted = [42, 13, 0.2, 5, 0, 1, 0, 1e6]; // an account age no real card has

it('allows held-out traffic, refuses out-of-range rows, and only records in monitor mode', async () => {
  const { test } = fraudData();
  const ranges = trainingRanges();
  const model = await loadOnnxClassifier(modelPath('fraud'));
  const enforce = createBulwark({ guards: [featureRange({ ranges })] }).wrap((rows: number[][]) => model.predict(rows));
  const monitor = createBulwark({ guards: [featureRange({ ranges, mode: 'monitor' })] }).wrap((rows: number[][]) => model.predict(rows));
  // Benign traffic from the held-out split is almost never refused.
  let refused = 0;
  for (const row of test.x.slice(0, 1000)) await enforce([row], { principal: 't' }).catch(() => refused++);
  expect(refused).toBeLessThan(10);
  await expect(enforce([crafted], { principal: 't' })).rejects.toMatchObject({ code: 'anomalous_input', status: 422, guard: 'feature-range' });
  const r = await monitor.run([crafted], { principal: 't' });
  expect(r.output).toHaveLength(1);
  expect(r.decisions[0]).toMatchObject({ action: 'deny', enforced: false });
  // The zod schema's issues come back as ConfigError issues with their paths.
  expect(() => featureRange({ ranges, tolerance: -1 })).toThrow(/tolerance: Too small: expected number to be >=0/);
  // Checked against the model: 3 ranges for an 8-feature model is a configuration error.
  expect(() => featureRange({ ranges: ranges.slice(0, 3) }, { model: model.descriptor })).toThrow(
    /ranges: must have one \[min, max\] per feature: the model takes 8/,
  );
  await model.close();
});
