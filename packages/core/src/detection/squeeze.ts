/**
 * Feature squeezing (Xu, Evans and Qi, NDSS 2018): an adversarial example sits just across a
 * decision boundary, so removing detail it does not need to look like itself (fewer grey levels,
 * a median filter) moves the model's answer far more than it moves a natural input's. The score
 * of a row is the largest L1 distance between the model's probabilities on the row and on each
 * squeezed copy; a threshold calibrated on clean rows tells the two apart.
 */
import { allowedExceedances } from '../profile/profile.js';
import type { Prediction } from '../types.js';

export type Squeezer = { readonly kind: 'bit-depth'; readonly bits: number } | { readonly kind: 'median'; readonly size: number };

export interface SqueezeOptions {
  readonly squeezers: readonly Squeezer[];
  /** Value range of every feature (bit-depth reduction quantises within it). */
  readonly range: readonly [number, number];
  /** [height, width] of the image (median smoothing), when a median squeezer is used. */
  readonly shape?: readonly [number, number] | undefined;
}

/** The row with `bits` bits per value left, within `range`. */
export function reduceBitDepth(row: ArrayLike<number>, bits: number, [lo, hi]: readonly [number, number]): number[] {
  const levels = 2 ** bits - 1;
  const span = hi - lo;
  const out = new Array<number>(row.length);
  for (let i = 0; i < row.length; i++) {
    const t = Math.min(1, Math.max(0, ((row[i] as number) - lo) / span));
    out[i] = lo + (Math.round(t * levels) / levels) * span;
  }
  return out;
}

/** Median smoothing over a size × size window (edges clamped; an even window starts at the pixel, as in Xu et al.). */
export function medianSmooth(row: ArrayLike<number>, [h, w]: readonly [number, number], size: number): number[] {
  const out = new Array<number>(row.length);
  const before = Math.floor((size - 1) / 2);
  const win: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      win.length = 0;
      for (let dy = -before; dy < size - before; dy++)
        for (let dx = -before; dx < size - before; dx++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy));
          const xx = Math.min(w - 1, Math.max(0, x + dx));
          win.push(row[yy * w + xx] as number);
        }
      win.sort((a, b) => a - b);
      const m = win.length >> 1;
      out[y * w + x] = win.length % 2 === 1 ? (win[m] as number) : ((win[m - 1] as number) + (win[m] as number)) / 2;
    }
  return out;
}

export function squeeze(row: ArrayLike<number>, s: Squeezer, o: SqueezeOptions): number[] {
  if (s.kind === 'bit-depth') return reduceBitDepth(row, s.bits, o.range);
  if (!o.shape) throw new RangeError('median smoothing needs the image shape');
  return medianSmooth(row, o.shape, s.size);
}

const l1 = (a: Prediction, b: Prediction | undefined): number => {
  if (!b) return 2;
  if (!a.scores || !b.scores) return a.label === b.label ? 0 : 2;
  let s = 0;
  for (let i = 0; i < a.scores.length; i++) s += Math.abs((a.scores[i] as number) - (b.scores[i] ?? 0));
  return s;
};

/** Per row, the largest L1 distance between the model's answer on it and on each squeezed copy (one batched inference per squeezer). */
export async function squeezingScores(
  rows: readonly ArrayLike<number>[],
  original: readonly Prediction[],
  infer: (rows: number[][]) => Promise<readonly Prediction[]>,
  o: SqueezeOptions,
): Promise<number[]> {
  const scores = new Array<number>(rows.length).fill(0);
  for (const s of o.squeezers) {
    const squeezed = await infer(rows.map((r) => squeeze(r, s, o)));
    for (let i = 0; i < rows.length; i++) scores[i] = Math.max(scores[i] as number, l1(original[i] as Prediction, squeezed[i]));
  }
  return scores;
}

/**
 * The threshold for a false-positive rate from the scores of clean rows the model was **not**
 * trained on (training rows squeeze more stably than new ones, so a threshold calibrated on them
 * flags too many new rows): at most that share of new clean rows exceed it, with 95% confidence.
 * Throws when there are too few rows to promise the rate.
 */
export function squeezingThreshold(cleanScores: readonly number[], fpr: number): number {
  const n = cleanScores.length;
  const m = allowedExceedances(n, fpr);
  if (m === undefined) throw new RangeError(`${n} clean rows cannot calibrate a ${fpr} false-positive rate (about ${Math.ceil(3.84 / fpr)} needed)`);
  const sorted = [...cleanScores].sort((a, b) => a - b);
  return sorted[n - 1 - m] as number;
}
