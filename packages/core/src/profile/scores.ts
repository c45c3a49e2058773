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
  /**
   * The precision matrix's upper triangle (off-diagonal doubled) in blocks of four rows: for each
   * block, its own 4 × 4 triangle (10 values), then for every later column j the four rows'
   * entries side by side. One load of v[j] then feeds four sums, so a row costs about 1.25 loads
   * per multiply instead of 2 (measured: half the time of a row-by-row triangle at d = 64).
   */
  private readonly blocks: Float64Array;
  /** Features rounded up to a multiple of 4; the padding of `v` stays 0 and its entries are 0. */
  private readonly padded: number;
  private readonly v: Float64Array;

  constructor(p: ScorerParams) {
    const d = p.center.length;
    this.d = d;
    this.center = Float64Array.from(p.center);
    this.invSpread = Float64Array.from(p.spread, (s) => 1 / s);
    this.mean = Float64Array.from(p.mean);
    this.invScale = Float64Array.from(p.scale, (s) => 1 / s);
    const padded = Math.ceil(d / 4) * 4;
    this.padded = padded;
    const entry = (i: number, j: number) => (i < d && j < d ? (i === j ? 1 : 2) * (p.precision[i]?.[j] as number) : 0);
    this.blocks = new Float64Array((padded / 4) * 10 + (padded * (padded - 4)) / 2);
    let k = 0;
    for (let i0 = 0; i0 < padded; i0 += 4) {
      for (let r = 0; r < 4; r++) for (let c = r; c < 4; c++) this.blocks[k++] = entry(i0 + r, i0 + c);
      for (let j = i0 + 4; j < padded; j++) for (let r = 0; r < 4; r++) this.blocks[k++] = entry(i0 + r, j);
    }
    this.v = new Float64Array(padded);
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
    const padded = this.padded;
    const v = this.v;
    const b = this.blocks;
    for (let j = 0; j < d; j++) v[j] = ((x[j] as number) - (this.mean[j] as number)) * (this.invScale[j] as number);
    let q = 0;
    let k = 0;
    for (let i0 = 0; i0 < padded; i0 += 4) {
      const v0 = v[i0] as number;
      const v1 = v[i0 + 1] as number;
      const v2 = v[i0 + 2] as number;
      const v3 = v[i0 + 3] as number;
      // The block's own triangle.
      q +=
        v0 * ((b[k] as number) * v0 + (b[k + 1] as number) * v1 + (b[k + 2] as number) * v2 + (b[k + 3] as number) * v3) +
        v1 * ((b[k + 4] as number) * v1 + (b[k + 5] as number) * v2 + (b[k + 6] as number) * v3) +
        v2 * ((b[k + 7] as number) * v2 + (b[k + 8] as number) * v3) +
        v3 * (b[k + 9] as number) * v3;
      k += 10;
      // Four independent sums: the CPU overlaps them (one long chain of adds would wait on each).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = i0 + 4; j < padded; j++, k += 4) {
        const vj = v[j] as number;
        s0 += (b[k] as number) * vj;
        s1 += (b[k + 1] as number) * vj;
        s2 += (b[k + 2] as number) * vj;
        s3 += (b[k + 3] as number) * vj;
      }
      q += v0 * s0 + v1 * s1 + v2 * s2 + v3 * s3;
    }
    const m = Math.sqrt(q > 0 ? q : 0);
    return m < SCORE_CAP ? m : SCORE_CAP;
  }
}
