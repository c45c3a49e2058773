import { fraudData } from '@bulwark/models';
import { expect, it } from 'vitest';
import { sampleRows, scoreBatch } from './score-batch.js';

it('scores a batch through the guards and reports their decisions', async () => {
  const rows = sampleRows();
  const { flagged, decisions } = await scoreBatch(rows, 'nightly-review');
  const truth = fraudData()
    .test.y.slice(0, rows.length)
    .filter((y) => y === 1).length;
  expect(Math.abs(flagged - truth)).toBeLessThan(rows.length * 0.1);
  expect(decisions).toEqual([expect.objectContaining({ guard: 'mask-output', action: 'modify', code: 'output_label' })]);
});
