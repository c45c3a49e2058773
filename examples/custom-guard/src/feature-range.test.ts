import { createBulwark } from '@bulwark/core';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { expect, it } from 'vitest';
import { featureRange } from './feature-range.js';

it('allows held-out traffic, refuses out-of-range rows, and only records in monitor mode', async () => {
  const { train, test } = fraudData();
  const ranges = (train.x[0] as number[]).map(
    (_, j) => [Math.min(...train.x.map((r) => r[j] as number)), Math.max(...train.x.map((r) => r[j] as number))] as [number, number],
  );
  const model = await loadOnnxClassifier(modelPath('fraud'));
  const enforce = createBulwark({ guards: [featureRange({ ranges })] }).wrap((rows: number[][]) => model.predict(rows));
  const monitor = createBulwark({ guards: [featureRange({ ranges, mode: 'monitor' })] }).wrap((rows: number[][]) => model.predict(rows));
  // Benign traffic from the held-out split is almost never refused.
  let refused = 0;
  for (const row of test.x.slice(0, 1000)) await enforce([row], { principal: 't' }).catch(() => refused++);
  expect(refused).toBeLessThan(10);
  const crafted = [42, 13, 0.2, 5, 0, 1, 0, 1e6];
  await expect(enforce([crafted], { principal: 't' })).rejects.toMatchObject({ code: 'anomalous_input', status: 422, guard: 'feature-range' });
  const r = await monitor.run([crafted], { principal: 't' });
  expect(r.output).toHaveLength(1);
  expect(r.decisions[0]).toMatchObject({ action: 'deny', enforced: false });
  expect(() => featureRange({ ranges, tolerance: -1 })).toThrow(/tolerance: must be >= 0 \(received -1\)/);
  await model.close();
});
