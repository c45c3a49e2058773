/**
 * Empirical audits of a differentially private mechanism, black box: run it many times on two
 * neighbouring inputs and look for an output event whose probability differs by more than e^ε.
 *
 * - `verifyDp`: the histogram test of Google's DP library stochastic tester
 *   (StatisticalTestsUtil.verifyApproximateDp): Σ_y max(0, P̂_A(y) − e^ε·P̂_B(y)) in both directions
 *   must stay below δ + tolerance; a majority of votes decides (Google: tolerance 0.0025 at
 *   1,000,000 samples per side, 9 votes).
 * - `epsilonLowerBound`: threshold events {y ≥ t} with Clopper-Pearson bounds, Bonferroni over
 *   the events; ln(lower bound of one side ÷ upper bound of the other) is an ε the mechanism
 *   certainly has (with confidence 1 − α). It must never exceed the nominal ε.
 *
 * Outputs are bucketed by a key the caller chooses. A key is post-processing, so bucketing never
 * makes a private mechanism fail; the keys used here keep every value that is off the mechanism's
 * grid as its own bucket, which is what fails floating-point mechanisms: the low-order bits of a
 * double are observable (Mironov 2012), and on doubles two neighbours' outputs are (nearly) disjoint.
 */

export type AuditKey = number | string;

/** One release of the mechanism on input `a` (false) or its neighbour `b` (true), as a histogram key. */
export type Release = (neighbour: boolean) => AuditKey;

function histogram(release: Release, neighbour: boolean, n: number): Map<AuditKey, number> {
  const h = new Map<AuditKey, number>();
  for (let i = 0; i < n; i++) {
    const k = release(neighbour);
    h.set(k, (h.get(k) ?? 0) + 1);
  }
  return h;
}

/** max over both directions of Σ_y max(0, P̂_A(y) − e^ε·P̂_B(y)). */
export function histogramDistance(a: Map<AuditKey, number>, b: Map<AuditKey, number>, n: number, epsilon: number): number {
  const e = Math.exp(epsilon);
  let ab = 0;
  let ba = 0;
  for (const [k, ca] of a) ab += Math.max(0, ca - e * (b.get(k) ?? 0));
  for (const [k, cb] of b) ba += Math.max(0, cb - e * (a.get(k) ?? 0));
  return Math.max(ab, ba) / n;
}

export interface DpVerdict {
  readonly passed: boolean;
  /** The test value of each vote. */
  readonly values: readonly number[];
  readonly votesPassed: number;
  readonly n: number;
  readonly epsilon: number;
  readonly delta: number;
  readonly tolerance: number;
}

export function verifyDp(release: Release, o: { n: number; epsilon: number; delta?: number; tolerance?: number; votes?: number }): DpVerdict {
  const delta = o.delta ?? 0;
  const tolerance = o.tolerance ?? 0.0025;
  const votes = o.votes ?? 9;
  const values: number[] = [];
  let votesPassed = 0;
  for (let v = 0; v < votes; v++) {
    const d = histogramDistance(histogram(release, false, o.n), histogram(release, true, o.n), o.n, o.epsilon);
    values.push(d);
    if (d <= delta + tolerance) votesPassed++;
  }
  return { passed: votesPassed > votes / 2, values, votesPassed, n: o.n, epsilon: o.epsilon, delta, tolerance };
}

// ---- Clopper-Pearson ----------------------------------------------------------------------

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0] as number;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta (Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta I_x(a, b). */
export function regularisedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (regularisedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Clopper-Pearson interval for k successes in n at confidence 1 − α. */
export function clopperPearson(k: number, n: number, alpha: number): { lo: number; hi: number } {
  return {
    lo: k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1),
    hi: k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k),
  };
}

export interface EpsilonBound {
  /** The largest ε the events certify (0 when none does). */
  readonly epsilon: number;
  /** The threshold and direction that certified it. */
  readonly threshold: number | undefined;
  readonly n: number;
  readonly alpha: number;
}

/**
 * A black-box lower bound on ε from threshold events {y ≥ t} of a scalar output: for each t and
 * both directions, ln(CP lower bound of P[M(b) ≥ t] ÷ CP upper bound of P[M(a) ≥ t]), α split
 * over all events (Bonferroni).
 */
export function epsilonLowerBound(release: (neighbour: boolean) => number, thresholds: readonly number[], o: { n: number; alpha?: number }): EpsilonBound {
  const alpha = o.alpha ?? 1e-3;
  const count = (neighbour: boolean) => {
    const c = new Array<number>(thresholds.length).fill(0);
    for (let i = 0; i < o.n; i++) {
      const y = release(neighbour);
      for (let j = 0; j < thresholds.length; j++) if (y >= (thresholds[j] as number)) c[j] = (c[j] as number) + 1;
    }
    return c;
  };
  const a = count(false);
  const b = count(true);
  const each = alpha / (2 * thresholds.length);
  let best = 0;
  let at: number | undefined;
  for (let j = 0; j < thresholds.length; j++) {
    const ca = a[j] as number;
    const cb = b[j] as number;
    // {y ≥ t} and its complement, each in both directions.
    for (const [hiCount, loCount] of [
      [cb, ca],
      [ca, cb],
      [o.n - ca, o.n - cb],
      [o.n - cb, o.n - ca],
    ] as const) {
      const num = clopperPearson(hiCount, o.n, each).lo;
      const den = clopperPearson(loCount, o.n, each).hi;
      if (num > 0 && den > 0) {
        const e = Math.log(num / den);
        if (e > best) {
          best = e;
          at = thresholds[j];
        }
      }
    }
  }
  return { epsilon: best, threshold: at, n: o.n, alpha };
}

/** Pearson correlation. */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}
