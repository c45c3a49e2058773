import { describe, expect, it } from 'vitest';
import { clopperPearson, correlation, histogramDistance, regularisedBeta } from './audit.js';

describe('privacy audit statistics', () => {
  it('the regularised incomplete beta matches closed forms', () => {
    expect(regularisedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12); // uniform
    expect(regularisedBeta(0.3, 2, 1)).toBeCloseTo(0.09, 12); // x²
    expect(regularisedBeta(0.3, 1, 3)).toBeCloseTo(1 - 0.7 ** 3, 12);
  });

  it('Clopper-Pearson: the exact interval of a binomial (reference values from scipy.stats.beta.ppf)', () => {
    const ci = clopperPearson(10, 100, 0.05);
    expect(ci.lo).toBeCloseTo(0.04900469, 6);
    expect(ci.hi).toBeCloseTo(0.17622259, 6);
    expect(clopperPearson(0, 50, 0.05).lo).toBe(0);
    expect(clopperPearson(50, 50, 0.05).hi).toBe(1);
  });

  it('histogram distance: 0 for equal histograms, the excess mass otherwise', () => {
    const a = new Map<number, number>([
      [0, 50],
      [1, 50],
    ]);
    expect(histogramDistance(a, a, 100, Math.log(3))).toBe(0);
    const b = new Map<number, number>([
      [0, 100],
      [1, 0],
    ]);
    expect(histogramDistance(a, b, 100, Math.log(3))).toBeCloseTo(0.5, 12);
  });

  it('correlation', () => {
    expect(correlation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(correlation([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });
});
