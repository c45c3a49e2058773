import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../runtime/random.js';
import { seededRandom } from '../testing/seeded.js';
import { Bits, bernoulli, bernoulliExp, discreteGaussian, discreteLaplace, geometricExp } from './samplers.js';

// ---- Goodness of fit at a false-alarm rate of 1e-6 per test: a correct sampler fails once in a
// million runs (the suite is never flaky), a wrong one fails at the sample sizes used. ----

/** Upper 1e-6 quantile of the standard normal. */
const Z_1E6 = 4.753424308822899;

/** χ² critical value at upper tail α = 1e-6 (Wilson-Hilferty; within 1% for df ≥ 3). */
function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + Z_1E6 * Math.sqrt(a)) ** 3;
}

/**
 * χ² statistic of observed counts over bins `[lo, hi]` (each value clamped into the end bins)
 * against a pmf; bins with expected count < 5 are merged into their neighbour toward the centre.
 */
function chiSquare(samples: ArrayLike<number>, pmf: (k: number) => number, lo: number, hi: number): { stat: number; df: number } {
  const counts = new Float64Array(hi - lo + 1);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.min(hi, Math.max(lo, samples[i] as number));
    counts[v - lo] = (counts[v - lo] as number) + 1;
  }
  const n = samples.length;
  const expected = new Float64Array(hi - lo + 1);
  let inner = 0;
  for (let k = lo + 1; k < hi; k++) {
    expected[k - lo] = pmf(k) * n;
    inner += pmf(k);
  }
  // The end bins hold the tails: split the rest of the mass by symmetry of the two tails' pmf sums.
  let lowTail = 0;
  for (let k = lo; k > lo - 10_000; k--) lowTail += pmf(k);
  expected[0] = lowTail * n;
  expected[hi - lo] = (1 - inner - lowTail) * n;
  // Merge small bins into neighbours.
  const obs: number[] = [];
  const exp: number[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < counts.length; i++) {
    o += counts[i] as number;
    e += expected[i] as number;
    if (e >= 5) {
      obs.push(o);
      exp.push(e);
      o = 0;
      e = 0;
    }
  }
  if (e > 0) {
    obs[obs.length - 1] = (obs[obs.length - 1] ?? 0) + o;
    exp[exp.length - 1] = (exp[exp.length - 1] ?? 0) + e;
  }
  let stat = 0;
  for (let i = 0; i < obs.length; i++) stat += ((obs[i] as number) - (exp[i] as number)) ** 2 / (exp[i] as number);
  return { stat, df: obs.length - 1 };
}

/** KS critical value at α = 1e-6 for n samples (asymptotic; conservative for discrete laws). */
function ksCritical(n: number): number {
  return Math.sqrt(-Math.log(1e-6 / 2) / 2) / Math.sqrt(n);
}

/** KS statistic of integer samples against a discrete cdf, over the observed support. */
function ksDiscrete(samples: ArrayLike<number>, cdf: (k: number) => number): number {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; ) {
    const v = sorted[i] as number;
    let j = i;
    while (j < n && sorted[j] === v) j++;
    // Empirical cdf just before v and at v against the law's.
    d = Math.max(d, Math.abs(i / n - cdf(v - 1)), Math.abs(j / n - cdf(v)));
    i = j;
  }
  return d;
}

/** Wilson interval at 1e-6 for a proportion: true when p lies inside it. */
function wilsonAccepts(successes: number, n: number, p: number): boolean {
  const z = Z_1E6;
  const phat = successes / n;
  const den = 1 + (z * z) / n;
  const centre = (phat + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + (z * z) / (4 * n * n))) / den;
  return p >= centre - half && p <= centre + half;
}

/** Discrete Laplace pmf with scale t: (1 − e^{−1/t}) / (1 + e^{−1/t}) · e^{−|k|/t}. */
function discreteLaplacePmf(t: number): (k: number) => number {
  const q = Math.exp(-1 / t);
  const c = (1 - q) / (1 + q);
  return (k) => c * q ** Math.abs(k);
}

/** Discrete Gaussian pmf with variance parameter σ² (normalised numerically). */
function discreteGaussianPmf(sigma2: number): (k: number) => number {
  let z = 0;
  const span = Math.ceil(12 * Math.sqrt(sigma2)) + 10;
  for (let k = -span; k <= span; k++) z += Math.exp((-k * k) / (2 * sigma2));
  return (k) => Math.exp((-k * k) / (2 * sigma2)) / z;
}

/** A cdf from a pmf over the integers (summed from far in the lower tail). */
function cdfOf(pmf: (k: number) => number, lo: number): (k: number) => number {
  const cache = new Map<number, number>();
  return (k) => {
    if (k < lo) return 0;
    let c = cache.get(k);
    if (c === undefined) {
      c = 0;
      for (let i = lo; i <= k; i++) c += pmf(i);
      cache.set(k, c);
    }
    return c;
  };
}

// ---- The tests ----
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
