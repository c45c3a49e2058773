/**
 * Goodness-of-fit checks at a fixed false-alarm rate, for samplers (tests and `pnpm audit:privacy`).
 * At α = 1e-6 per test a correct sampler fails once in a million runs: the suite is never flaky,
 * and a wrong one (a biased Bernoulli, a mis-scaled Laplace) fails at the sample sizes used.
 */

/** Upper 1e-6 quantile of the standard normal. */
export const Z_1E6 = 4.753424308822899;

/** χ² critical value at upper tail α = 1e-6 (Wilson-Hilferty; within 1% for df ≥ 3). */
export function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + Z_1E6 * Math.sqrt(a)) ** 3;
}

/**
 * χ² statistic of observed counts over bins `[lo, hi]` (each value clamped into the end bins)
 * against a pmf; bins with expected count < 5 are merged into their neighbour toward the centre.
 */
export function chiSquare(samples: ArrayLike<number>, pmf: (k: number) => number, lo: number, hi: number): { stat: number; df: number } {
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
export function ksCritical(n: number): number {
  return Math.sqrt(-Math.log(1e-6 / 2) / 2) / Math.sqrt(n);
}

/** KS statistic of integer samples against a discrete cdf, over the observed support. */
export function ksDiscrete(samples: ArrayLike<number>, cdf: (k: number) => number): number {
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
export function wilsonAccepts(successes: number, n: number, p: number): boolean {
  const z = Z_1E6;
  const phat = successes / n;
  const den = 1 + (z * z) / n;
  const centre = (phat + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + (z * z) / (4 * n * n))) / den;
  return p >= centre - half && p <= centre + half;
}

/** Discrete Laplace pmf with scale t: (1 − e^{−1/t}) / (1 + e^{−1/t}) · e^{−|k|/t}. */
export function discreteLaplacePmf(t: number): (k: number) => number {
  const q = Math.exp(-1 / t);
  const c = (1 - q) / (1 + q);
  return (k) => c * q ** Math.abs(k);
}

/** Discrete Gaussian pmf with variance parameter σ² (normalised numerically). */
export function discreteGaussianPmf(sigma2: number): (k: number) => number {
  let z = 0;
  const span = Math.ceil(12 * Math.sqrt(sigma2)) + 10;
  for (let k = -span; k <= span; k++) z += Math.exp((-k * k) / (2 * sigma2));
  return (k) => Math.exp((-k * k) / (2 * sigma2)) / z;
}

/** A cdf from a pmf over the integers (summed from far in the lower tail). */
export function cdfOf(pmf: (k: number) => number, lo: number): (k: number) => number {
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
