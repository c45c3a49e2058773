import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, groupBins, kolmogorovSurvival, ksPValue, logGamma, poissonAtLeast, psi } from './stats.js';

describe('statistics, against reference values', () => {
  it('ln Γ', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(100)).toBeCloseTo(359.1342053695754, 9);
  });
  it('chi-square and Poisson tails', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(11.070497693516351, 5)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(poissonAtLeast(3, 1)).toBeCloseTo(1 - 2.5 / Math.E, 12);
    expect(poissonAtLeast(0, 5)).toBe(1);
    expect(poissonAtLeast(1, 0.2)).toBeCloseTo(1 - Math.exp(-0.2), 12);
  });
  it('the Kolmogorov distribution', () => {
    expect(kolmogorovSurvival(1.3580986393225505)).toBeCloseTo(0.05, 6);
    expect(kolmogorovSurvival(1.6276236115189477)).toBeCloseTo(0.01, 6);
    expect(kolmogorovSurvival(0.1)).toBe(1);
    // Large samples: the corrected statistic tends to √(nm/(n+m))·D.
    expect(ksPValue(0.05, 1e6, 1e6)).toBeLessThan(1e-100);
    expect(ksPValue(0, 100, 100)).toBe(1);
  });
  it('PSI, and bins grouped by expected mass', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(psi([0.5, 0.5], [0.6, 0.4])).toBeCloseTo(0.1 * Math.log(1.2) - 0.1 * Math.log(0.8), 12);
    expect(groupBins(new Array(100).fill(0.01), 10)).toEqual(Array.from({ length: 100 }, (_, i) => Math.floor(i / 10)));
    // A point mass bigger than a group closes its group at once; the rest are grouped after it.
    expect(groupBins([0.5, 0.1, 0.1, 0.1, 0.1, 0.1], 4)).toEqual([0, 1, 2, 2, 3, 3]);
  });
});
