/**
 * The Shapiro-Wilk W statistic (Royston 1992/1995, algorithm AS R94's coefficients), for 3 ≤ n ≤
 * 5000: how well sorted data line up with the normal scores. W near 1: normal; PRADA flags a
 * caller whose query distances give a low W. Coefficients depend only on n and are cached.
 */

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

const cache = new Map<number, Float64Array>();

/** The coefficients a_1..a_n (antisymmetric) for samples of size n. */
function coefficients(n: number): Float64Array {
  const hit = cache.get(n);
  if (hit) return hit;
  const m = new Float64Array(n);
  let mm = 0;
  for (let i = 0; i < n; i++) {
    m[i] = normalQuantile((i + 1 - 0.375) / (n + 0.25));
    mm += (m[i] as number) ** 2;
  }
  const a = new Float64Array(n);
  if (n === 3) {
    a[0] = -Math.SQRT1_2;
    a[2] = Math.SQRT1_2;
  } else {
    const u = 1 / Math.sqrt(n);
    const mn = m[n - 1] as number;
    const mn1 = m[n - 2] as number;
    const an = mn / Math.sqrt(mm) + 0.221157 * u - 0.147981 * u ** 2 - 2.07119 * u ** 3 + 4.434685 * u ** 4 - 2.706056 * u ** 5;
    if (n <= 5) {
      const phi = (mm - 2 * mn ** 2) / (1 - 2 * an ** 2);
      for (let i = 1; i < n - 1; i++) a[i] = (m[i] as number) / Math.sqrt(phi);
      a[n - 1] = an;
      a[0] = -an;
    } else {
      const an1 = mn1 / Math.sqrt(mm) + 0.042981 * u - 0.293762 * u ** 2 - 1.752461 * u ** 3 + 5.682633 * u ** 4 - 3.582633 * u ** 5;
      const phi = (mm - 2 * mn ** 2 - 2 * mn1 ** 2) / (1 - 2 * an ** 2 - 2 * an1 ** 2);
      for (let i = 2; i < n - 2; i++) a[i] = (m[i] as number) / Math.sqrt(phi);
      a[n - 1] = an;
      a[0] = -an;
      a[n - 2] = an1;
      a[1] = -an1;
    }
  }
  // A trimmed window's size moves within a few values of the window: the sizes in use stay cached.
  if (cache.size >= 128) cache.delete(cache.keys().next().value as number);
  cache.set(n, a);
  return a;
}

/** W for the values (any order); 1 for fewer than 3 values or no spread. */
export function shapiroWilkW(values: ArrayLike<number>): number {
  return values.length < 3 ? 1 : shapiroWilkWSorted(Float64Array.from(values).sort());
}

/** W for values already sorted ascending (a caller that keeps its window sorted skips the sort). */
export function shapiroWilkWSorted(x: Float64Array): number {
  const n = x.length;
  if (n < 3) return 1;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((x[i] as number) - mean) ** 2;
  if (ss === 0) return 1;
  const a = coefficients(Math.min(n, 5000));
  let num = 0;
  for (let i = 0; i < n; i++) num += (a[i] as number) * (x[i] as number);
  return Math.min(1, (num * num) / ss);
}
