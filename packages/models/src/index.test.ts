import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fraudData, leakyData, modelInfo, modelPath, type ShippedModelName } from './index.js';

describe('shipped models', () => {
  it.each(['fraud', 'digits', 'leaky', 'fraud-hardened'] as ShippedModelName[])('%s matches the sha256 in the manifest', (name) => {
    const digest = createHash('sha256')
      .update(readFileSync(modelPath(name)))
      .digest('hex');
    expect(digest).toBe(modelInfo(name).sha256);
  });
  it('ships held-out splits, and the leaky model is measurably leaky', () => {
    expect(fraudData().test.x).toHaveLength(4000);
    expect(fraudData().test.x[0]).toHaveLength(8);
    const l = leakyData();
    expect(l.members.x).toHaveLength(400);
    expect(l.nonmembers.x).toHaveLength(400);
    const info = modelInfo('leaky') as unknown as { meanTrueClassConfidence: { members: number; nonmembers: number } };
    expect(info.meanTrueClassConfidence.members - info.meanTrueClassConfidence.nonmembers).toBeGreaterThan(0.1);
  });
});
