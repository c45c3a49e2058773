/**
 * Uncertainty for every figure the lab reports. Rates get a Wilson score interval (good coverage
 * at small n and near 0 or 1, unlike the normal approximation); differences of two rates get
 * Newcombe's hybrid score interval (built from the two Wilson intervals); statistics without a
 * closed form (AUC, advantage, TPR at a fixed FPR) get a percentile bootstrap over the records.
 * All at 95% unless told otherwise.
 */
import type { Rng } from '../rng.js';

/** A figure with its sample size and a 95% interval. */
export interface Estimate {
  readonly value: number;
  /** How many independent units it was measured on (rows, records, attempts). */
  readonly n: number;
  readonly lo: number;
  readonly hi: number;
  readonly method: 'wilson' | 'bootstrap' | 'normal';
}

const Z95 = 1.959963984540054;

/** Wilson score interval for k successes out of n. */
export function wilson(k: number, n: number, z = Z95): { lo: number; hi: number } {
  if (n === 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** A rate with its Wilson interval. */
export function rate(k: number, n: number): Estimate {
  const { lo, hi } = wilson(k, n);
  return { value: n === 0 ? 0 : k / n, n, lo, hi, method: 'wilson' };
}

/**
 * The difference a − b of two figures from independent runs, with a 95% interval: Newcombe's
 * hybrid score interval (method 10) for Wilson rates, and the same square-and-add of the two
 * half-widths for bootstrap intervals. The change is "real" at 95% when the interval excludes 0.
 */
export function difference(a: Estimate, b: Estimate): { value: number; lo: number; hi: number; real: boolean } {
  const d = a.value - b.value;
  const lo = d - Math.sqrt((a.value - a.lo) ** 2 + (b.hi - b.value) ** 2);
  const hi = d + Math.sqrt((a.hi - a.value) ** 2 + (b.value - b.lo) ** 2);
  return { value: d, lo, hi, real: lo > 0 || hi < 0 };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  const a = sorted[i] as number;
  const b = sorted[Math.min(sorted.length - 1, i + 1)] as number;
  return a + (b - a) * f;
}

/**
 * Percentile bootstrap of several statistics at once: `stats` is recomputed on `replicates`
 * resamples (with replacement, within each group of units: e.g. members and non-members); returns
 * each statistic on the data with the 2.5% and 97.5% quantiles of its replicates, and the
 * replicates themselves (to bootstrap a difference between two runs).
 */
export function bootstrap(
  groups: readonly number[],
  stats: (resampled: readonly (readonly number[])[]) => readonly number[],
  rng: Rng,
  replicates = 1000,
): { estimates: Estimate[]; replicates: number[][] } {
  const identity = groups.map((size) => Array.from({ length: size }, (_, i) => i));
  const values = stats(identity);
  const reps: number[][] = values.map(() => []);
  for (let b = 0; b < replicates; b++) {
    const r = stats(groups.map((size) => Array.from({ length: size }, () => rng.int(size))));
    r.forEach((v, i) => {
      reps[i]?.push(v);
    });
  }
  const n = groups.reduce((s, g) => s + g, 0);
  const estimates = values.map((value, i): Estimate => {
    const sorted = (reps[i] as number[]).filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
    return { value, n, lo: quantile(sorted, 0.025), hi: quantile(sorted, 0.975), method: 'bootstrap' };
  });
  return { estimates, replicates: reps };
}

/** "0.912 [0.89, 0.93] (n 1000)": a figure as reports print it. */
export function formatEstimate(e: Estimate | undefined, digits = 3): string {
  if (e === undefined) return '–';
  return `${e.value.toFixed(digits)} [${e.lo.toFixed(digits - 1)}, ${e.hi.toFixed(digits - 1)}] (n ${e.n})`;
}
