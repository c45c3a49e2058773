/**
 * Data profiles: what the training data looked like, so that serving can tell a request that
 * resembles it from one that does not. A profile holds per-feature statistics (ranges, quantiles,
 * mean/sd, median/MAD, integer and categorical features), what the multivariate scorers need (a
 * ridged inverse correlation matrix for Mahalanobis), score thresholds calibrated to target false
 * positive rates, and the provenance of the data (sha256, rows, columns, time, tool) so an auditor
 * can tie a served profile to the file it came from.
 *
 * Calibration is out of fold: rows are dealt into 5 folds by position, each fold is scored with
 * statistics fitted on the other four, and a threshold for a false-positive rate p is the
 * score that at most m of those scores exceed, where m is the most exceedances whose 95% Wilson
 * upper bound (m/n) is still ≤ p: the rate is then at most p with 95% confidence, not only on
 * average (an empirical 99th percentile of 1,347 rows lets ~1.5% of new benign rows through about
 * one time in four). Scoring rows with statistics fitted on the same rows would make every
 * threshold too low. When even m = 0 cannot promise p (n < ~3.84/p rows), the threshold is `null`:
 * too few rows to calibrate that rate.
 *
 * Everything streams: sums and co-moments are exact over all rows; medians, quantiles and the
 * calibration scores come from a uniform sample of at most `sampleRows` rows (all rows when the
 * file has fewer). The sample is drawn with a fixed-seed generator so the same file gives the same
 * profile: this is statistics, not security, and reproducibility is what an audit needs.
 */
import { Moments, ridgedPrecision } from './linalg.js';
import { RowScorer, type ScorerParams } from './scores.js';

export const PROFILE_FORMAT = 'bulwark-profile';
/** False-positive rates a profile is calibrated for. */
export const CALIBRATED_FPRS = ['0.1', '0.05', '0.02', '0.01', '0.005', '0.002', '0.001'] as const;
export type CalibratedFpr = (typeof CALIBRATED_FPRS)[number];
export type ScoreName = 'robust-z' | 'mahalanobis';
export const QUANTILES = ['0.001', '0.01', '0.05', '0.25', '0.5', '0.75', '0.95', '0.99', '0.999'] as const;

export interface FeatureProfile {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly sd: number;
  readonly median: number;
  /** Median absolute deviation from the median (unscaled). */
  readonly mad: number;
  readonly quantiles: Readonly<Record<(typeof QUANTILES)[number], number>>;
  /** The 1st to 99th percentiles (99 values): cell edges for fingerprints of skewed features. */
  readonly percentiles: readonly number[];
  /** Every value seen was an integer. */
  readonly integer: boolean;
  /** The values seen, when an integer feature took at most `categoricalMax` distinct values; else null. */
  readonly categories: readonly number[] | null;
  /**
   * The distribution as bins, for drift tests (`bulwark validate`): bin k holds the values in
   * (edges[k-1], edges[k]], the first everything ≤ edges[0], the last everything > the last edge;
   * `proportions` (one more than the edges) are the sample's shares. Edges are the distinct values
   * of an integer feature with at most 64 of them (so point masses are exact), else the distinct
   * percentiles. Absent in profiles written before it existed.
   */
  readonly histogram?: { readonly edges: readonly number[]; readonly proportions: readonly number[] } | undefined;
}

export interface Provenance {
  /** The data file's name (not its path: paths leak user names and folders). */
  readonly source: string;
  /** sha256 of the file's bytes, hex. */
  readonly sha256: string;
  readonly bytes: number;
  readonly rows: number;
  /** Feature columns, in model input order. */
  readonly columns: readonly string[];
  readonly labelColumn: string | null;
  readonly createdAt: string;
  /** The tool and version that wrote the profile. */
  readonly tool: string;
}

export interface DataProfile {
  readonly format: typeof PROFILE_FORMAT;
  readonly version: 1;
  readonly provenance: Provenance;
  readonly features: readonly FeatureProfile[];
  /** Rows per label, when the data had a label column. */
  readonly labels: Readonly<Record<string, number>> | null;
  readonly scorer: ScorerParams & { readonly ridge: number };
  readonly calibration: {
    readonly method: 'out-of-fold';
    readonly folds: number;
    /** Rows scored. */
    readonly n: number;
    /** Per score and false-positive rate, a score benign rows exceed at most that often (95% confidence); null when n is too small. */
    readonly thresholds: Readonly<Record<ScoreName, Readonly<Record<CalibratedFpr, number | null>>>>;
  };
  readonly sample: { readonly rows: number; readonly exact: boolean };
}

export interface ProfileOptions {
  /** Rows kept for medians, quantiles and calibration (default 50,000, fewer for wide data). */
  readonly sampleRows?: number;
  /** Most distinct values of an integer feature listed as categories (default 16). */
  readonly categoricalMax?: number;
  /** Ridge added to the correlation matrix's diagonal (default 0.01). */
  readonly ridge?: number;
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

const FOLDS = 5;
const MIN_ROWS = 50;
/** 1.4826·MAD estimates the sd of normal data. */
const MAD_TO_SD = 1.4826;
/** 1.2533·(mean absolute deviation) does too: the fallback when more than half the values are equal. */
const MEAN_AD_TO_SD = 1.2533;

/** Accumulates rows, then `finish` computes the profile. */
export class ProfileBuilder {
  readonly d: number;
  private rows = 0;
  private readonly folds: Moments[];
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly integer: boolean[];
  private readonly categories: (Set<number> | null)[];
  private readonly labels = new Map<number, number>();
  private readonly sample: { x: Float64Array; fold: number }[] = [];
  private readonly sampleRows: number;
  private readonly categoricalMax: number;
  private readonly ridge: number;
  private seed = 0x9e3779b9;

  constructor(
    readonly columns: readonly string[],
    options: ProfileOptions = {},
  ) {
    const d = columns.length;
    if (d < 1) throw new ProfileError('the data has no feature columns');
    this.d = d;
    this.folds = Array.from({ length: FOLDS }, () => new Moments(d));
    this.min = new Float64Array(d).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(d).fill(Number.NEGATIVE_INFINITY);
    this.integer = new Array<boolean>(d).fill(true);
    this.categoricalMax = options.categoricalMax ?? 16;
    this.categories = Array.from({ length: d }, () => new Set<number>());
    // At most ~5 million numbers held (40 MB), whatever the width.
    this.sampleRows = options.sampleRows ?? Math.max(1000, Math.min(50_000, Math.floor(5_000_000 / d)));
    this.ridge = options.ridge ?? 0.01;
  }

  /** Adds one row of `d` finite numbers (and its label, when the data has one). */
  add(x: ArrayLike<number>, label?: number): void {
    const { d } = this;
    if (x.length !== d) throw new ProfileError(`row ${this.rows + 1} has ${x.length} features, expected ${d}`);
    const fold = this.rows % FOLDS;
    this.rows++;
    (this.folds[fold] as Moments).add(x);
    for (let j = 0; j < d; j++) {
      const v = x[j] as number;
      if (v < (this.min[j] as number)) this.min[j] = v;
      if (v > (this.max[j] as number)) this.max[j] = v;
      if (this.integer[j] && !Number.isInteger(v)) {
        this.integer[j] = false;
        this.categories[j] = null;
      }
      const set = this.categories[j];
      if (set && !set.has(v)) {
        if (set.size >= this.categoricalMax) this.categories[j] = null;
        else set.add(v);
      }
    }
    if (label !== undefined) this.labels.set(label, (this.labels.get(label) ?? 0) + 1);
    // Reservoir sampling (algorithm R): every row ends up in the sample with the same probability.
    if (this.sample.length < this.sampleRows) this.sample.push({ x: Float64Array.from(x), fold });
    else {
      const j = this.nextBelow(this.rows);
      if (j < this.sampleRows) this.sample[j] = { x: Float64Array.from(x), fold };
    }
  }

  /** The profile of the rows added so far. */
  finish(provenance: Omit<Provenance, 'rows' | 'columns'>): DataProfile {
    const { d, rows } = this;
    if (rows < MIN_ROWS) throw new ProfileError(`a profile needs at least ${MIN_ROWS} rows (received ${rows})`);
    const total = Moments.merge(this.folds);
    const sd = total.sd();
    const all = this.sample;
    const fit = fitScorer(
      total,
      all.map((r) => r.x),
      this.ridge,
    );

    const features: FeatureProfile[] = [];
    for (let j = 0; j < d; j++) {
      const col = Float64Array.from(all, (r) => r.x[j] as number).sort();
      const median = quantileSorted(col, 0.5);
      const cats = this.categories[j];
      features.push({
        name: this.columns[j] as string,
        min: this.min[j] as number,
        max: this.max[j] as number,
        mean: total.mean[j] as number,
        sd: sd[j] as number,
        median,
        mad: medianAbsDev(col, median),
        quantiles: Object.fromEntries(QUANTILES.map((q) => [q, quantileSorted(col, Number(q))])) as FeatureProfile['quantiles'],
        percentiles: Array.from({ length: 99 }, (_, k) => quantileSorted(col, (k + 1) / 100)),
        integer: this.integer[j] as boolean,
        categories: cats && this.integer[j] ? [...cats].sort((a, b) => a - b) : null,
        histogram: histogramOf(col, this.integer[j] as boolean),
      });
    }

    // Out-of-fold calibration: fold f is scored by statistics of the other folds.
    const scores: Record<ScoreName, number[]> = { 'robust-z': [], mahalanobis: [] };
    for (let f = 0; f < FOLDS; f++) {
      const held = all.filter((r) => r.fold === f);
      if (held.length === 0) continue;
      const rest = Moments.merge(this.folds.filter((_, i) => i !== f));
      const scorer = new RowScorer(
        fitScorer(
          rest,
          all.filter((r) => r.fold !== f).map((r) => r.x),
          this.ridge,
        ),
      );
      for (const r of held) {
        scores['robust-z'].push(scorer.robustZ(r.x));
        scores.mahalanobis.push(scorer.mahalanobis(r.x));
      }
    }
    const n = scores.mahalanobis.length;
    const thresholds = {} as Record<ScoreName, Record<CalibratedFpr, number | null>>;
    for (const name of ['robust-z', 'mahalanobis'] as const) {
      const sorted = Float64Array.from(scores[name]).sort();
      thresholds[name] = Object.fromEntries(
        CALIBRATED_FPRS.map((p) => {
          const m = allowedExceedances(n, Number(p));
          return [p, m === undefined ? null : (sorted[n - 1 - m] as number)];
        }),
      ) as Record<CalibratedFpr, number | null>;
    }

    return {
      format: PROFILE_FORMAT,
      version: 1,
      provenance: { ...provenance, rows, columns: [...this.columns] },
      features,
      labels: this.labels.size === 0 ? null : Object.fromEntries([...this.labels].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
      scorer: { ...fit, ridge: this.ridge },
      calibration: { method: 'out-of-fold', folds: FOLDS, n, thresholds },
      sample: { rows: all.length, exact: all.length === rows },
    };
  }

  /** A uniform integer in [0, n) from a fixed-seed xorshift32 (reproducible sampling, see the header). */
  private nextBelow(n: number): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return Math.floor((this.seed / 2 ** 32) * n);
  }
}

/** The most calibration rows (of n) that may score above a threshold for false-positive rate p; undefined if none may. */
export function allowedExceedances(n: number, p: number): number | undefined {
  const z = 1.959964;
  const upper = (m: number): number => {
    const ph = m / n;
    const z2 = z * z;
    return (ph + z2 / (2 * n) + z * Math.sqrt((ph * (1 - ph)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  };
  if (n < 1 || upper(0) > p) return undefined;
  let m = 0;
  while (m + 1 < n && upper(m + 1) <= p) m++;
  return m;
}

/** Scorer parameters from co-moments (mean, covariance) and sample rows (medians, MADs). */
function fitScorer(m: Moments, rows: readonly Float64Array[], ridge: number): ScorerParams {
  const d = m.d;
  const sd = m.sd();
  const scale = Float64Array.from(sd, (s) => (s > 0 ? s : 1));
  const center: number[] = [];
  const spread: number[] = [];
  for (let j = 0; j < d; j++) {
    const col = Float64Array.from(rows, (r) => r[j] as number).sort();
    const med = quantileSorted(col, 0.5);
    center.push(med);
    spread.push(robustSpread(col, med, sd[j] as number));
  }
  const p = ridgedPrecision(m, scale, ridge);
  const precision: number[][] = [];
  for (let i = 0; i < d; i++) precision.push(Array.from(p.subarray(i * d, (i + 1) * d)));
  return { center, spread, mean: Array.from(m.mean), scale: Array.from(scale), precision };
}

/**
 * 1.4826·MAD; when more than half the values equal the median (MAD 0: sparse pixels, flags),
 * 1.2533·mean absolute deviation; when every value is equal, a spread small enough that any
 * departure scores high, and large enough to stay finite.
 */
function robustSpread(sorted: Float64Array, median: number, sd: number): number {
  const mad = medianAbsDev(sorted, median);
  if (mad > 0) return MAD_TO_SD * mad;
  let sum = 0;
  for (const v of sorted) sum += Math.abs(v - median);
  const meanAd = sorted.length > 0 ? sum / sorted.length : 0;
  if (meanAd > 0) return MEAN_AD_TO_SD * meanAd;
  if (sd > 0) return sd;
  return Math.max(1e-6, Math.abs(median) * 1e-6);
}

function medianAbsDev(sorted: Float64Array, median: number): number {
  const dev = Float64Array.from(sorted, (v) => Math.abs(v - median)).sort();
  return quantileSorted(dev, 0.5);
}

/** Most distinct values of an integer feature binned one value a bin. */
const POINT_MASS_MAX = 64;

/** See `FeatureProfile.histogram`. */
function histogramOf(sorted: Float64Array, integer: boolean): { edges: number[]; proportions: number[] } {
  const n = sorted.length;
  let edges: number[] = [];
  if (integer) {
    for (let i = 0; i < n && edges.length <= POINT_MASS_MAX; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) edges.push(sorted[i] as number);
    if (edges.length <= POINT_MASS_MAX)
      edges.pop(); // the last value is the open top bin
    else edges = [];
  }
  if (edges.length === 0 && n > 0) {
    for (let k = 1; k <= 99; k++) {
      const q = quantileSorted(sorted, k / 100);
      if (edges.length === 0 || q > (edges[edges.length - 1] as number)) edges.push(q);
    }
  }
  const proportions: number[] = [];
  let below = 0;
  for (const e of edges) {
    const upTo = upperBound(sorted, e);
    proportions.push((upTo - below) / n);
    below = upTo;
  }
  proportions.push((n - below) / n);
  return { edges, proportions };
}

/** The number of sorted values ≤ x. */
function upperBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Linear-interpolation quantile of sorted values (type 7, as numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}
