import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../runtime/random.js';
import { seededRandom } from '../testing/seeded.js';
import { cdfOf, chiSquare, chiSquareCritical, discreteGaussianPmf, discreteLaplacePmf, ksCritical, ksDiscrete, wilsonAccepts } from './gof.js';
import { Bits, bernoulli, bernoulliExp, discreteGaussian, discreteLaplace, geometricExp } from './samplers.js';

// Every test draws from node:crypto and decides at a false-alarm rate of 1e-6: never flaky, and a
// wrong sampler fails (see the negative checks at the end).
const bits = () => new Bits(cryptoRandom);

describe('exact samplers (goodness of fit at α = 1e-6)', () => {
  it('Bernoulli(num/den) and Bernoulli(exp(-γ)) for γ in {0, 0.1, 0.5, 1, 1.5, 3}', () => {
    const b = bits();
    const N = 120_000;
    let hits = 0;
    for (let i = 0; i < N; i++) if (bernoulli(b, 3, 7)) hits++;
    expect(wilsonAccepts(hits, N, 3 / 7)).toBe(true);
    for (const [num, den] of [
      [0, 1],
      [1, 10],
      [1, 2],
      [1, 1],
      [3, 2],
      [3, 1],
    ] as const) {
      let k = 0;
      for (let i = 0; i < N; i++) if (bernoulliExp(b, num, den)) k++;
      expect(wilsonAccepts(k, N, Math.exp(-num / den)), `γ = ${num}/${den}`).toBe(true);
    }
  });

  it('geometric: P(k) ∝ exp(-k/scale), χ²', () => {
    const b = bits();
    const N = 100_000;
    const xs = new Float64Array(N);
    for (let i = 0; i < N; i++) xs[i] = geometricExp(b, 5, 2); // scale 2.5
    const q = Math.exp(-1 / 2.5);
    const { stat, df } = chiSquare(xs, (k) => (k < 0 ? 0 : (1 - q) * q ** k), 0, 25);
    expect(stat).toBeLessThan(chiSquareCritical(df));
  });

  for (const [num, den] of [
    [1, 1],
    [7, 2],
    [1_000_003, 100_000],
  ] as const) {
    it(`discrete Laplace, scale ${num}/${den}: χ², KS, variance`, () => {
      const b = bits();
      const t = num / den;
      const N = 100_000;
      const xs = new Float64Array(N);
      for (let i = 0; i < N; i++) xs[i] = discreteLaplace(b, num, den);
      const pmf = discreteLaplacePmf(t);
      const span = Math.ceil(6 * t) + 2;
      const { stat, df } = chiSquare(xs, pmf, -span, span);
      expect(stat).toBeLessThan(chiSquareCritical(df));
      const ks = ksDiscrete(xs.subarray(0, 5000), cdfOf(pmf, -Math.ceil(60 * t) - 20));
      expect(ks).toBeLessThan(ksCritical(5000));
      // Variance 2q/(1-q)² within a 1e-6 band (the fourth moment bounds its spread).
      const q = Math.exp(-1 / t);
      const variance = (2 * q) / (1 - q) ** 2;
      let m2 = 0;
      for (const x of xs) m2 += x * x;
      const fourth = (variance * (1 + 10 * q + q * q)) / (1 - q) ** 2; // E[X⁴] of the discrete Laplace
      const sd = Math.sqrt((fourth - variance * variance) / N);
      expect(Math.abs(m2 / N - variance)).toBeLessThan(5.5 * sd);
    });
  }

  it('discrete Gaussian, σ² = 9/2 and 1000: χ²', () => {
    const b = bits();
    for (const [num, den] of [
      [9n, 2n],
      [1000n, 1n],
    ] as const) {
      const N = 60_000;
      const xs = new Float64Array(N);
      for (let i = 0; i < N; i++) xs[i] = discreteGaussian(b, num, den);
      const s2 = Number(num) / Number(den);
      const span = Math.ceil(4 * Math.sqrt(s2));
      const { stat, df } = chiSquare(xs, discreteGaussianPmf(s2), -span, span);
      expect(stat, `σ² = ${s2}`).toBeLessThan(chiSquareCritical(df));
    }
  });

  it('the checks have power: a Laplace 10% too narrow and a biased coin are rejected', () => {
    const b = bits();
    const N = 100_000;
    const xs = new Float64Array(N);
    for (let i = 0; i < N; i++) xs[i] = discreteLaplace(b, 9, 2); // scale 4.5 …
    const { stat, df } = chiSquare(xs, discreteLaplacePmf(5), -32, 32); // … tested as 5
    expect(stat).toBeGreaterThan(chiSquareCritical(df));
    let k = 0;
    for (let i = 0; i < N; i++) if (bernoulli(b, 52, 100)) k++;
    expect(wilsonAccepts(k, N, 0.5)).toBe(false);
  });

  it('an injected seeded source makes the samplers reproducible (tests only)', () => {
    const draw = () => {
      const b = new Bits(seededRandom(7));
      return Array.from({ length: 20 }, () => discreteLaplace(b, 5, 1));
    };
    expect(draw()).toEqual(draw());
  });
});
