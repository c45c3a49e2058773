/**
 * Per-row anomaly scores against a data profile, compiled once into flat typed arrays so a row
 * costs O(d) (robust z) and O(d²/2) (Mahalanobis) with no allocation.
 *
 *   robust z      max over features of |x − median| / (1.4826 · MAD): one wild feature is enough.
 *                 Medians and MADs are not dragged by the outliers they are meant to find.
 *   Mahalanobis   distance from the mean in units of the data's own covariance: catches rows whose
 *                 features are each plausible but whose combination is not (a forged transaction).
 *
 * Scores are capped at SCORE_CAP so they stay finite in JSON and telemetry.
 */

export const SCORE_CAP = 1e6;

export interface ScorerParams {
  /** Per-feature medians. */
  readonly center: readonly number[];
  /** Per-feature robust spread (1.4826·MAD, or a fallback when the MAD is 0). */
  readonly spread: readonly number[];
  /** Per-feature means. */
  readonly mean: readonly number[];
  /** Per-feature standard deviations used to scale before the covariance (1 for constant features). */
  readonly scale: readonly number[];
  /** Inverse of (correlation + ridge·I), d × d. */
  readonly precision: readonly (readonly number[])[];
}

export class RowScorer {
  readonly d: number;
  private readonly center: Float64Array;
  private readonly invSpread: Float64Array;
  private readonly mean: Float64Array;
  private readonly invScale: Float64Array;
  /** Upper triangle of the precision matrix with the off-diagonal doubled, row-major. */
  private readonly upper: Float64Array;
  private readonly v: Float64Array;

  constructor(p: ScorerParams) {
    const d = p.center.length;
    this.d = d;
    this.center = Float64Array.from(p.center);
    this.invSpread = Float64Array.from(p.spread, (s) => 1 / s);
    this.mean = Float64Array.from(p.mean);
    this.invScale = Float64Array.from(p.scale, (s) => 1 / s);
    this.upper = new Float64Array((d * (d + 1)) / 2);
    let k = 0;
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) this.upper[k++] = (i === j ? 1 : 2) * (p.precision[i]?.[j] as number);
    this.v = new Float64Array(d);
  }

  /** Largest robust z of the row's features. */
  robustZ(x: ArrayLike<number>): number {
    let worst = 0;
    for (let j = 0; j < this.d; j++) {
      const z = Math.abs((x[j] as number) - (this.center[j] as number)) * (this.invSpread[j] as number);
      if (z > worst) worst = z;
    }
    return worst < SCORE_CAP ? worst : SCORE_CAP;
  }

  /** Mahalanobis distance of the row from the profile's mean. */
  mahalanobis(x: ArrayLike<number>): number {
    const d = this.d;
    const v = this.v;
    const upper = this.upper;
    for (let j = 0; j < d; j++) v[j] = ((x[j] as number) - (this.mean[j] as number)) * (this.invScale[j] as number);
    let q = 0;
    let k = 0;
    for (let i = 0; i < d; i++) {
      // Four independent sums: the CPU overlaps them (one long chain of adds would wait on each).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = i;
      for (; j + 3 < d; j += 4, k += 4) {
        s0 += (upper[k] as number) * (v[j] as number);
        s1 += (upper[k + 1] as number) * (v[j + 1] as number);
        s2 += (upper[k + 2] as number) * (v[j + 2] as number);
        s3 += (upper[k + 3] as number) * (v[j + 3] as number);
      }
      for (; j < d; j++, k++) s0 += (upper[k] as number) * (v[j] as number);
      q += (v[i] as number) * (s0 + s1 + s2 + s3);
    }
    const m = Math.sqrt(q > 0 ? q : 0);
    return m < SCORE_CAP ? m : SCORE_CAP;
  }
}
