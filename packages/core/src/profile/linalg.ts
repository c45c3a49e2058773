/**
 * The little linear algebra the profile needs: running co-moments that merge (Chan et al.), and
 * the inverse of a symmetric positive-definite matrix by Cholesky. Dense, Float64Array, d ≤ a few
 * hundred: profiles are built offline and scored with a precomputed inverse.
 */

/** Running mean and co-moment matrix of d-dimensional rows (Welford), mergeable across folds. */
export class Moments {
  n = 0;
  readonly mean: Float64Array;
  /** Co-moments Σ (x − mean)(x − mean)ᵀ, row-major d × d. */
  readonly m2: Float64Array;
  private readonly delta: Float64Array;

  constructor(readonly d: number) {
    this.mean = new Float64Array(d);
    this.m2 = new Float64Array(d * d);
    this.delta = new Float64Array(d);
  }

  add(x: ArrayLike<number>): void {
    const d = this.d;
    const mean = this.mean;
    const m2 = this.m2;
    const delta = this.delta;
    this.n++;
    const inv = 1 / this.n;
    for (let i = 0; i < d; i++) {
      delta[i] = (x[i] as number) - (mean[i] as number);
      mean[i] = (mean[i] as number) + (delta[i] as number) * inv;
    }
    // m2 += delta_old · (x − mean_new)ᵀ, which keeps it symmetric and exact in exact arithmetic.
    for (let i = 0; i < d; i++) {
      const di = delta[i] as number;
      if (di === 0) continue;
      const row = i * d;
      for (let j = 0; j < d; j++) m2[row + j] = (m2[row + j] as number) + di * ((x[j] as number) - (mean[j] as number));
    }
  }

  /** A new accumulator holding both (the parallel formula of Chan, Golub and LeVeque). */
  static merge(parts: readonly Moments[]): Moments {
    const d = parts[0]?.d ?? 0;
    const out = new Moments(d);
    for (const p of parts) {
      if (p.n === 0) continue;
      if (out.n === 0) {
        out.n = p.n;
        out.mean.set(p.mean);
        out.m2.set(p.m2);
        continue;
      }
      const n = out.n + p.n;
      const f = (out.n * p.n) / n;
      const delta = new Float64Array(d);
      for (let i = 0; i < d; i++) delta[i] = (p.mean[i] as number) - (out.mean[i] as number);
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++)
          out.m2[i * d + j] = (out.m2[i * d + j] as number) + (p.m2[i * d + j] as number) + (delta[i] as number) * (delta[j] as number) * f;
      for (let i = 0; i < d; i++) out.mean[i] = (out.mean[i] as number) + ((delta[i] as number) * p.n) / n;
      out.n = n;
    }
    return out;
  }

  /** Sample standard deviation of each feature (0 when fewer than two rows). */
  sd(): Float64Array {
    const out = new Float64Array(this.d);
    if (this.n < 2) return out;
    for (let i = 0; i < this.d; i++) out[i] = Math.sqrt(Math.max(0, (this.m2[i * this.d + i] as number) / (this.n - 1)));
    return out;
  }
}

/**
 * Inverse of the correlation matrix plus `ridge`·I, for features scaled by `scale` (features with
 * no spread get scale 1 and their variance 0 + ridge). The ridge keeps the inverse finite when
 * features are constant or collinear (pixels of a digit), at the price of treating every direction
 * as having at least that much variance.
 */
export function ridgedPrecision(m: Moments, scale: Float64Array, ridge: number): Float64Array {
  const d = m.d;
  const a = new Float64Array(d * d);
  const denom = Math.max(1, m.n - 1);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) a[i * d + j] = (m.m2[i * d + j] as number) / denom / ((scale[i] as number) * (scale[j] as number)) + (i === j ? ridge : 0);
  return invertSpd(a, d);
}

/** Inverse of a symmetric positive-definite matrix (row-major) by Cholesky; throws if it is not positive definite. */
export function invertSpd(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * d + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * d + k] as number) * (l[j * d + k] as number);
      if (i === j) {
        if (!(sum > 0)) throw new RangeError('matrix is not positive definite');
        l[i * d + i] = Math.sqrt(sum);
      } else l[i * d + j] = sum / (l[j * d + j] as number);
    }
  }
  // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
  const li = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    li[i * d + i] = 1 / (l[i * d + i] as number);
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum += (l[i * d + k] as number) * (li[k * d + j] as number);
      li[i * d + j] = -sum / (l[i * d + i] as number);
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < d; k++) sum += (li[k * d + i] as number) * (li[k * d + j] as number);
      inv[i * d + j] = sum;
      inv[j * d + i] = sum;
    }
  return inv;
}
