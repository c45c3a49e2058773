import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import { shapiroWilkW } from '../../detection/shapiro-wilk.js';
import { MemoryStore } from '../../stores/memory.js';
import type { Prediction } from '../../types.js';
import { extractionDetection } from './index.js';

/** A seeded normal generator (test data, not security). */
function gauss(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const model = (rows: number[][]): Prediction[] => rows.map((r) => ({ label: (r[0] as number) > 0 ? 1 : 0, scores: [0.5, 0.5] }));

describe('extraction-detection (PRADA)', () => {
  it('computes Shapiro-Wilk W as scipy does', () => {
    // scipy.stats.shapiro(...).statistic for these samples.
    expect(shapiroWilkW([2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.1, 3.9, 2.2])).toBeCloseTo(0.9524825811386108, 6);
    expect(shapiroWilkW([148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236])).toBeCloseTo(0.7888147830963135, 6);
  });

  it('leaves callers sending natural (Gaussian) rows alone and flags a stream of small perturbations of a few seeds', async () => {
    const flaggedAt = async (rows: number[][]): Promise<number | undefined> => {
      let at: number | undefined;
      let n = 0;
      const predict = createBulwark({
        guards: [extractionDetection({}, { stores: { memory: new MemoryStore() } })],
        onDecision: (d) => {
          if (d.code === 'attack_suspected' && at === undefined) at = n;
        },
      }).wrap(model);
      for (const row of rows) {
        n++;
        await predict([row], { principal: 'caller' });
      }
      return at;
    };
    let benignFlagged = 0;
    for (let stream = 0; stream < 10; stream++) {
      const g = gauss(stream + 1);
      if ((await flaggedAt(Array.from({ length: 600 }, () => Array.from({ length: 8 }, g)))) !== undefined) benignFlagged++;
    }
    expect(benignFlagged).toBeLessThanOrEqual(1);
    // Jacobian-augmentation-like probing: 5 seeds, each nudged by ±0.05 along one feature at a time.
    const g = gauss(99);
    const seeds = Array.from({ length: 5 }, () => Array.from({ length: 8 }, g));
    const probes = Array.from({ length: 600 }, (_, i) =>
      (seeds[i % 5] as number[]).map((v, j) => v + (j === i % 8 ? 0.05 * Math.sign(g()) * (1 + (i % 3)) : 0)),
    );
    const at = await flaggedAt(probes);
    expect(at).toBeDefined();
    expect(at as number).toBeLessThanOrEqual(300);
  });
});
