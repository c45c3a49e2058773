/**
 * The averaging attack on noisy answers: ask the same question (or a slightly jittered one) many
 * times and average. Independent noise shrinks like 1/√repeats and the true scores appear; noise
 * derived from the caller and the input (query-consistent) returns the same answer every time, so
 * averaging gains nothing. Measured: the mean absolute error of the averaged scores against the
 * model's true scores, at each number of repeats, with a 95% interval over the rows.
 */
import { Rng } from '../rng.js';
import type { Estimate } from '../stats/intervals.js';
import { snapshotStats, type Target, type TargetStats } from '../target/target.js';
import { clamp, inconclusiveReason, queryAll } from './common.js';

export interface AveragingOptions {
  readonly rows: readonly (readonly number[])[];
  /** The model's true scores for the rows (from the unguarded model). */
  readonly reference: readonly (readonly number[])[];
  /** Repeat counts to measure (default [1, 10, 100]); the last is the most each row is asked. */
  readonly repeats?: readonly number[];
  /** Jitter per repeat, in `featureScale` units (default 0: identical repeats). */
  readonly jitter?: number;
  readonly featureScale?: readonly number[];
  readonly bounds?: readonly (readonly [number, number])[];
  readonly seed: number;
  readonly batchSize?: number;
}

export interface AveragingPoint {
  readonly repeats: number;
  /** Mean absolute error of the averaged scores per class, over the rows. */
  readonly error: Estimate;
}

export interface AveragingResult {
  readonly attack: 'averaging';
  readonly jitter: number;
  readonly points: readonly AveragingPoint[];
  /** error(1 repeat) ÷ error(most repeats): how much averaging narrowed the noise (1: not at all). */
  readonly narrowing: number | undefined;
  readonly inconclusive: string | undefined;
  readonly stats: TargetStats;
}

export async function averagingAttack(target: Target, o: AveragingOptions): Promise<AveragingResult> {
  const rng = new Rng(o.seed);
  const repeats = o.repeats ?? [1, 10, 100];
  const most = Math.max(...repeats);
  const jitter = o.jitter ?? 0;
  const k = o.reference[0]?.length ?? 0;
  // Every row asked `most` times; the first r answers give the r-repeat average.
  const asked = o.rows.flatMap((x) =>
    Array.from({ length: most }, () =>
      jitter === 0 || o.featureScale === undefined
        ? [...x]
        : x.map((v, j) => {
            const y = v + rng.normal() * jitter * (o.featureScale?.[j] as number);
            const b = o.bounds?.[j];
            return b === undefined ? y : clamp(y, b[0], b[1]);
          }),
    ),
  );
  const answers = await queryAll(target, asked, o.batchSize ?? 100);
  const stats = snapshotStats(target.stats);
  const withScores = answers.filter((a) => a?.scores !== undefined && a.scores.length === k).length;
  if (withScores < asked.length / 2) {
    return {
      attack: 'averaging',
      jitter,
      points: [],
      narrowing: undefined,
      inconclusive: inconclusiveReason(withScores, stats, Math.ceil(asked.length / 2), 'answers with scores'),
      stats,
    };
  }
  const points = repeats.map((r): AveragingPoint => {
    const errors: number[] = [];
    o.rows.forEach((_, i) => {
      const got = answers.slice(i * most, i * most + r).filter((a) => a?.scores !== undefined);
      if (got.length === 0) return;
      let e = 0;
      for (let c = 0; c < k; c++) {
        const mean = got.reduce((s, a) => s + (a?.scores?.[c] as number), 0) / got.length;
        e += Math.abs(mean - (o.reference[i]?.[c] as number));
      }
      errors.push(e / k);
    });
    const n = errors.length;
    const mean = errors.reduce((s, v) => s + v, 0) / Math.max(1, n);
    const sd = Math.sqrt(errors.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n - 1));
    const half = (1.96 * sd) / Math.sqrt(Math.max(1, n));
    return { repeats: r, error: { value: mean, n, lo: Math.max(0, mean - half), hi: mean + half, method: 'normal' } };
  });
  const first = points[0]?.error.value;
  const last = points[points.length - 1]?.error.value;
  return {
    attack: 'averaging',
    jitter,
    points,
    narrowing: first === undefined || last === undefined || last === 0 ? undefined : first / last,
    inconclusive: undefined,
    stats,
  };
}
