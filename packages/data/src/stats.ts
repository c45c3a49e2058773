/**
 * The statistics behind the data checks: the population stability index, the Kolmogorov
 * distribution for two-sample KS tests, and the regularised incomplete gamma function (chi-square
 * and Poisson tails). Written out here rather than taken from a dependency: each is a few lines
 * from its textbook form (Numerical Recipes, 3rd ed., §6.2 and §14.3), and tested against
 * reference values.
 */

/** Share given to an empty bin in the PSI, so that ln(0) never appears (the usual 1e-4 floor). */
const PSI_FLOOR = 1e-4;

/**
 * Population stability index of observed shares against expected ones: Σ (o − e)·ln(o / e).
 * Below 0.1 is read as no shift, 0.1–0.25 as a moderate shift, above 0.25 as a major one.
 */
export function psi(expected: readonly number[], observed: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] as number, PSI_FLOOR);
    const o = Math.max(observed[i] as number, PSI_FLOOR);
    s += (o - e) * Math.log(o / e);
  }
  return s;
}

/**
 * Merges fine bins into groups of about `1/groups` of the expected mass each (adjacent bins only),
 * for a PSI that is not dominated by sampling noise in a hundred tiny bins. Returns, per fine
 * bin, its group.
 */
export function groupBins(expected: readonly number[], groups: number): number[] {
  const out: number[] = [];
  let g = 0;
  let mass = 0;
  for (let i = 0; i < expected.length; i++) {
    out.push(g);
    mass += expected[i] as number;
    if (mass >= (g + 1) / groups - 1e-9 && g < groups - 1 && i < expected.length - 1) g++;
  }
  return out;
}

/** Q_KS(λ) = 2 Σ (−1)^(j−1) exp(−2 j² λ²): the probability that the KS statistic exceeds λ. */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  let sign = 1;
  for (let j = 1; j <= 100; j++) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** p-value of a two-sample KS statistic `d` between samples of n and m values (Stephens' correction). */
export function ksPValue(d: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  const ne = (n * m) / (n + m);
  const s = Math.sqrt(ne);
  return kolmogorovSurvival((s + 0.12 + 0.11 / s) * d);
}

/** ln Γ(x), x > 0 (Lanczos). */
export function logGamma(x: number): number {
  // Numerical Recipes' 14 coefficients, as the doubles they round to.
  const g = [
    57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202, 3.399464998481189e-5, 4.652362892704858e-5, -9.837447530487956e-5,
    1.580887032249125e-4, -2.1026444172410488e-4, 2.1743961811521265e-4, -1.643181065367639e-4, 8.441822398385275e-5, -2.6190838401581408e-5,
    3.6899182659531625e-6,
  ];
  let y = x;
  const tmp = x + 5.2421875;
  const t = (x + 0.5) * Math.log(tmp) - tmp;
  let ser = 0.9999999999999971;
  for (const c of g) ser += c / ++y;
  return t + Math.log((2.5066282746310007 * ser) / x);
}

/** The regularised lower incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (x < a + 1) {
    // Series.
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 10_000; n++) {
      ap++;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(-x + a * Math.log(x) - logGamma(a)));
  }
  return 1 - gammaQContinuedFraction(a, x);
}

/** The regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate in the far tail. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) return 1 - gammaP(a, x);
  return gammaQContinuedFraction(a, x);
}

function gammaQContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.max(0, Math.min(1, Math.exp(-x + a * Math.log(x) - logGamma(a)) * h));
}

/** P(χ²_k ≥ x). */
export const chiSquareSurvival = (x: number, k: number): number => gammaQ(k / 2, x / 2);

/** P(X ≥ k) for X ~ Poisson(λ): the tail of a rare count (k ≥ 1). */
export const poissonAtLeast = (k: number, lambda: number): number => (k <= 0 ? 1 : gammaP(k, lambda));
