/**
 * Model extraction: train a surrogate from the target's answers (soft labels when it returns
 * scores, hard labels otherwise) and measure its fidelity (agreement with the target) and accuracy
 * on held-out data, against the number of queries spent.
 *
 * Strategies: `random` (uniform in the feature box, as in Tramèr et al. 2016), `perturb` (noise
 * around the attacker's own seed rows, Papernot-style augmentation), `active` (of many perturbed
 * candidates, query those the current surrogate is least sure about: they sit near the boundary).
 */
import { argmax, Mlp, oneHot } from '../ml/mlp.js';
import { Rng } from '../rng.js';
import type { Answer, Target, TargetStats } from '../target/target.js';
import { boundsOf, clamp, type Progress, scaleOf } from './common.js';

export type ExtractionStrategy = 'random' | 'perturb' | 'active';

export interface ExtractionOptions {
  /** The attacker's own unlabelled rows (seeds and feature ranges). */
  readonly pool: readonly (readonly number[])[];
  /** Held-out rows with the target model's own labels (fidelity) and the true labels (accuracy). */
  readonly evaluation: { readonly x: readonly (readonly number[])[]; readonly targetLabels: readonly number[]; readonly y?: readonly number[] };
  readonly classes: number;
  readonly strategy: ExtractionStrategy;
  /** Query counts at which the surrogate is retrained and measured; the last is the budget. */
  readonly checkpoints: readonly number[];
  readonly seed: number;
  readonly batchSize?: number;
  /** Hidden units of the surrogate (default 32). */
  readonly hidden?: number;
  readonly progress?: Progress;
}

export interface ExtractionPoint {
  readonly queries: number;
  /** Rows the target actually answered. */
  readonly answered: number;
  /** Agreement of surrogate and target labels on the evaluation rows. */
  readonly fidelity: number;
  /** Surrogate accuracy against true labels (when given). */
  readonly accuracy: number | undefined;
}

export interface ExtractionResult {
  readonly attack: 'extraction';
  readonly strategy: ExtractionStrategy;
  readonly points: readonly ExtractionPoint[];
  readonly finalFidelity: number;
  /** True when the target never returned scores (the surrogate learned from labels only). */
  readonly labelOnly: boolean;
  readonly stats: TargetStats;
}

export async function extractionAttack(target: Target, o: ExtractionOptions): Promise<ExtractionResult> {
  const rng = new Rng(o.seed);
  const genRng = rng.fork(1);
  const trainRng = rng.fork(2);
  const bounds = boundsOf(o.pool);
  const scale = scaleOf(o.pool);
  const batch = o.batchSize ?? 25;
  const budget = o.checkpoints[o.checkpoints.length - 1] ?? 0;
  const xs: number[][] = [];
  const ys: number[][] = [];
  let labelOnly = true;
  let surrogate: Mlp | undefined;
  const points: ExtractionPoint[] = [];
  let spent = 0;
  let nextCheckpoint = 0;

  const perturb = (): number[] => {
    const seed = o.pool[genRng.int(o.pool.length)] as readonly number[];
    return seed.map((v, j) => clamp(v + genRng.normal() * 0.5 * (scale[j] as number), (bounds[j] as [number, number])[0], (bounds[j] as [number, number])[1]));
  };
  const uniform = (): number[] => bounds.map(([lo, hi]) => lo + genRng.next() * (hi - lo));
  const margin = (m: Mlp, x: number[]): number => {
    const p = [...m.predictRow(x)].sort((a, b) => b - a);
    return (p[0] ?? 0) - (p[1] ?? 0);
  };

  const train = (epochsScale = 1): Mlp => {
    const m = new Mlp({ inputs: o.pool[0]?.length ?? 0, classes: o.classes, hidden: o.hidden ?? 32 }, trainRng.fork(xs.length));
    m.fit(
      xs,
      ys,
      { epochs: Math.round(Math.min(200, Math.max(15, 40_000 / Math.max(1, xs.length))) * epochsScale), learningRate: 0.01 },
      trainRng.fork(xs.length + 1),
    );
    return m;
  };

  while (spent < budget && !target.stats.gaveUp) {
    const n = Math.min(batch, budget - spent);
    let rows: number[][];
    if (o.strategy === 'random') rows = Array.from({ length: n }, uniform);
    else if (o.strategy === 'perturb' || surrogate === undefined) rows = Array.from({ length: n }, perturb);
    else {
      const candidates = Array.from({ length: n * 10 }, perturb);
      const m = surrogate;
      rows = candidates
        .map((x) => ({ x, m: margin(m, x) }))
        .sort((a, b) => a.m - b.m)
        .slice(0, n)
        .map((c) => c.x);
    }
    const answers = await target.query(rows);
    spent += n;
    if (answers !== undefined) record(rows, answers);
    o.progress?.(spent, budget);
    // Active learning refreshes its surrogate every 500 queries (cheap fit), between checkpoints.
    if (o.strategy === 'active' && xs.length > 0 && spent % 500 < batch) surrogate = train(0.3);
    while (nextCheckpoint < o.checkpoints.length && spent >= (o.checkpoints[nextCheckpoint] as number)) {
      points.push(measure(spent));
      nextCheckpoint++;
    }
  }
  // Checkpoints not reached (the target stopped answering) are measured at what was spent.
  while (nextCheckpoint < o.checkpoints.length) {
    points.push(measure(o.checkpoints[nextCheckpoint] as number));
    nextCheckpoint++;
  }
  return { attack: 'extraction', strategy: o.strategy, points, finalFidelity: points[points.length - 1]?.fidelity ?? 0, labelOnly, stats: { ...target.stats } };

  function record(rows: number[][], answers: Answer[]): void {
    rows.forEach((x, i) => {
      const a = answers[i];
      if (a === undefined) return;
      if (a.scores !== undefined && a.scores.length === o.classes) {
        labelOnly = false;
        const sum = a.scores.reduce((s, v) => s + v, 0);
        // Masked answers (top-k, rounded) are renormalised; the label decides ties.
        ys.push(sum > 0 ? a.scores.map((v) => v / sum) : oneHot(a.label, o.classes));
      } else ys.push(oneHot(a.label, o.classes));
      xs.push(x);
    });
  }

  function measure(queries: number): ExtractionPoint {
    const answered = xs.length;
    if (answered === 0) return { queries, answered, fidelity: 0, accuracy: o.evaluation.y === undefined ? undefined : 0 };
    const m = train();
    const labels = o.evaluation.x.map((x) => argmax(m.predictRow(x)));
    const fidelity = labels.filter((l, i) => l === o.evaluation.targetLabels[i]).length / labels.length;
    const y = o.evaluation.y;
    const accuracy = y === undefined ? undefined : labels.filter((l, i) => l === y[i]).length / labels.length;
    surrogate = m;
    return { queries, answered, fidelity, accuracy };
  }
}
