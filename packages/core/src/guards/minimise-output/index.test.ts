import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import { capVector, minimiseOutput } from './index.js';

describe('minimise-output', () => {
  const embedding = Array.from({ length: 128 }, (_, i) => Math.sin(i) * 3);
  const record = { label: 2, scores: [0.1, 0.2, 0.7], logits: [-1.2, 0.3, 2.2], embedding, hidden_state: [1, 2, 3], debug: { trace: 'x' } };

  it('keeps declared keys only, strips logits, caps the embedding', async () => {
    const guarded = createBulwark({
      guards: [minimiseOutput({ declared: ['label', 'scores', 'logits', 'embedding'], vectors: [{ key: 'embedding', maxDims: 16, maxNorm: 1, decimals: 3 }] })],
    }).wrap(() => [record, record]);
    const r = await guarded.run([[0], [1]], { principal: 'p' });
    for (const out of r.output as Record<string, unknown>[]) {
      expect(Object.keys(out).sort()).toEqual(['embedding', 'label', 'scores']);
      const e = out.embedding as number[];
      expect(e).toHaveLength(16);
      expect(Math.hypot(...e)).toBeLessThanOrEqual(1);
      for (const x of e) expect(Math.round(x * 1000)).toBeCloseTo(x * 1000, 9);
    }
    expect(r.decisions[0]).toMatchObject({ code: 'output_minimised', attributes: { 'bulwark.minimise.dropped': 6, 'bulwark.minimise.capped': 2 } });
    expect(record.embedding).toHaveLength(128); // the model's own output is not changed
  });

  it('caps vectors: cut, clipped, rounded towards zero, non-finite to 0', () => {
    expect(capVector([3, 4, 12], { maxDims: 2, maxNorm: 1, decimals: 2 })).toEqual([0.6, 0.8]);
    expect(capVector(new Float32Array([Number.NaN, 0.123456]), { decimals: 3 })).toEqual([0, 0.123]);
    expect(capVector([0.3, 0.4], { maxNorm: 1 })).toEqual([0.3, 0.4]);
  });

  it('does nothing (allow) to an output with nothing to drop', async () => {
    const r = await createBulwark({ guards: [minimiseOutput({})] })
      .wrap(() => [{ label: 1, scores: [0.4, 0.6] }])
      .run([[0]], { principal: 'p' });
    expect(r.decisions[0]?.action).toBe('allow');
  });
});
