/**
 * Model extraction: train a surrogate from the target's answers (soft labels when it returns
 * scores, hard labels otherwise) and measure its fidelity (agreement with the target's labels) and
 * accuracy on held-out rows, with n and a 95% interval, against the number of queries spent.
 *
 * Query strategies:
 *   random   uniform in the feature box: data-free (Tramèr et al. 2016), the traffic an
 *            out-of-distribution detector should see
 *   perturb  Gaussian noise around the attacker's own rows (Papernot-style augmentation)
 *   active   of many perturbed candidates, those the current surrogate is least sure about
 *   natural  the attacker's own rows with little noise: queries drawn to look like real traffic
 *            (the adaptive attacker against distribution-based detectors)
 * Adaptive options: benign rows mixed in, near-duplicates avoided (a minimum spacing between
 * queries, against fingerprinting detectors); spreading over identities is the target's job
 * (`rotate: 'round-robin'`).
 *
 * A run whose target answered fewer than `minAnswered` rows is inconclusive: the report says
 * "not measured", never 0.
 */
import { argmax, Mlp, oneHot } from '../ml/mlp.js';
import { Rng } from '../rng.js';
import { type Estimate, rate } from '../stats/intervals.js';
import { type Answer, snapshotStats, type Target, type TargetStats } from '../target/target.js';
import { boundsOf, clamp, inconclusiveReason, type Progress, scaleOf } from './common.js';

export type ExtractionStrategy = 'random' | 'perturb' | 'active' | 'natural';

export interface ExtractionOptions {
  /**
   * The attacker's own unlabelled rows (seeds, feature ranges). May be empty for a data-free
   * attacker, who then needs `bounds`.
   */
  readonly pool: readonly (readonly number[])[];
  /** Per-feature [min, max] the attacker assumes (default: those of `pool`). */
  readonly bounds?: readonly (readonly [number, number])[] | undefined;
  /** Held-out rows with the target model's own labels (fidelity) and the true labels (accuracy). */
  readonly evaluation: { readonly x: readonly (readonly number[])[]; readonly targetLabels: readonly number[]; readonly y?: readonly number[] | undefined };
  readonly classes: number;
  readonly strategy: ExtractionStrategy;
  /** Query counts at which the surrogate is retrained and measured; the last is the budget. */
  readonly checkpoints: readonly number[];
  readonly seed: number;
  readonly batchSize?: number;
  /** Hidden units of the surrogate (default 32). */
  readonly hidden?: number;
  /** Share of queries that are plain rows of the pool, as a benign client would send (default 0). */
  readonly benignShare?: number;
  /** No query closer than this to an earlier one (L2, in per-feature standard deviations; default 0). */
  readonly minSpacing?: number;
  /** Features the API takes as integers: an attacker who read its rules rounds them in every query (default: none). */
  readonly integerFeatures?: readonly number[];
  /** Fewer answered rows than this and the run is inconclusive (default 50). */
  readonly minAnswered?: number;
  /** Receives the final surrogate (what a transfer attack crafts its inputs on). */
  readonly onSurrogate?: ((surrogate: Mlp) => void) | undefined;
  readonly progress?: Progress;
}

export interface ExtractionPoint {
  readonly queries: number;
  /** Rows the target actually answered. */
  readonly answered: number;
  /** Agreement of surrogate and target labels on the evaluation rows (undefined: not measured). */
  readonly fidelity: Estimate | undefined;
  /** Surrogate accuracy against true labels (when given). */
  readonly accuracy: Estimate | undefined;
}

export interface ExtractionResult {
  readonly attack: 'extraction';
  readonly strategy: ExtractionStrategy;
  readonly points: readonly ExtractionPoint[];
  /** Fidelity at the last checkpoint; undefined when inconclusive. */
  readonly fidelity: Estimate | undefined;
  /** What a constant clone (always the target's most common label) scores: the floor to beat. */
  readonly baseline: Estimate;
  /** Set when the run measured nothing: why ("0 answered of 10000 rows sent: unauthorized×400"). */
  readonly inconclusive: string | undefined;
  /** True when the target never returned scores (the surrogate learned from labels only). */
  readonly labelOnly: boolean;
  /** Queries per identity (Sybil runs): the most answered rows of any one identity. */
  readonly maxAnsweredPerIdentity: number;
  readonly stats: TargetStats;
}

/**
 * The attacker's soft label for an answer. Rounded scores are renormalised. Masked ones (top-k:
 * the other classes reported as 0) keep what they say: the mass they do not show is spread over
 * the hidden classes, so a binary top-1 answer [p, 0] becomes [p, 1 − p], not a one-hot label.
 */
export function softLabel(a: Answer, classes: number): number[] {
  const s = a.scores;
  if (s === undefined || s.length !== classes) return oneHot(a.label, classes);
  const sum = s.reduce((t, v) => t + v, 0);
  const hidden = s.filter((v) => v === 0).length;
  if (sum < 0.98 && hidden > 0) {
    const rest = (1 - sum) / hidden;
    return s.map((v) => (v === 0 ? rest : v));
  }
  return sum > 0 ? s.map((v) => v / sum) : oneHot(a.label, classes);
}

export async function extractionAttack(target: Target, o: ExtractionOptions): Promise<ExtractionResult> {
  const rng = new Rng(o.seed);
  const genRng = rng.fork(1);
  const trainRng = rng.fork(2);
  const bounds = o.bounds ?? boundsOf(o.pool);
  const d = bounds.length;
  if (d === 0) throw new Error('extraction needs the attacker rows (pool) or the feature bounds');
  if (o.pool.length === 0 && o.strategy !== 'random') throw new Error(`the ${o.strategy} strategy needs attacker rows; a data-free attacker uses random`);
  const scale = o.pool.length > 1 ? scaleOf(o.pool) : bounds.map(([lo, hi]) => (hi - lo) / 4 || 1);
  const batch = o.batchSize ?? 25;
  const budget = o.checkpoints[o.checkpoints.length - 1] ?? 0;
  const minAnswered = o.minAnswered ?? 50;
  const xs: number[][] = [];
  const ys: number[][] = [];
  const sent: number[][] = [];
  let labelOnly = true;
  let surrogate: Mlp | undefined;
  const points: ExtractionPoint[] = [];
  let spent = 0;
  let nextCheckpoint = 0;

  const inBox = (row: number[]) => row.map((v, j) => clamp(v, (bounds[j] as [number, number])[0], (bounds[j] as [number, number])[1]));
  const around = (sigma: number): number[] => {
    const seed = o.pool[genRng.int(o.pool.length)] as readonly number[];
    return inBox(seed.map((v, j) => v + genRng.normal() * sigma * (scale[j] as number)));
  };
  const uniform = (): number[] => bounds.map(([lo, hi]) => lo + genRng.next() * (hi - lo));
  const margin = (m: Mlp, x: number[]): number => {
    const p = [...m.predictRow(x)].sort((a, b) => b - a);
    return (p[0] ?? 0) - (p[1] ?? 0);
  };
  const farEnough = (x: number[]): boolean => {
    const min = o.minSpacing ?? 0;
    if (min <= 0) return true;
    // Against the most recent queries: a fingerprinting detector keeps a window, not all history.
    for (let i = sent.length - 1; i >= Math.max(0, sent.length - 2000); i--) {
      const q = sent[i] as number[];
      let s = 0;
      for (let j = 0; j < d; j++) s += (((x[j] as number) - (q[j] as number)) / (scale[j] as number)) ** 2;
      if (s < min * min) return false;
    }
    return true;
  };
  const candidate = (): number[] => {
    if (o.pool.length > 0 && (o.benignShare ?? 0) > 0 && genRng.next() < (o.benignShare as number))
      return [...(o.pool[genRng.int(o.pool.length)] as readonly number[])];
    if (o.strategy === 'random') return uniform();
    if (o.strategy === 'natural') return around(0.1);
    return around(0.5);
  };
  const integral = (x: number[]): number[] => {
    for (const j of o.integerFeatures ?? []) x[j] = Math.round(x[j] as number);
    return x;
  };
  const next = (): number[] => {
    for (let tries = 0; tries < 20; tries++) {
      const x = integral(candidate());
      if (farEnough(x)) return x;
    }
    return integral(candidate());
  };

  const train = (epochsScale = 1): Mlp => {
    const m = new Mlp({ inputs: d, classes: o.classes, hidden: o.hidden ?? 32 }, trainRng.fork(xs.length));
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
    if (o.strategy !== 'active' || surrogate === undefined) rows = Array.from({ length: n }, next);
    else {
      const candidates = Array.from({ length: n * 10 }, next);
      const m = surrogate;
      rows = candidates
        .map((x) => ({ x, m: margin(m, x) }))
        .sort((a, b) => a.m - b.m)
        .slice(0, n)
        .map((c) => c.x);
    }
    const answers = await target.query(rows);
    spent += n;
    sent.push(...rows);
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
  if (surrogate !== undefined && xs.length >= minAnswered) o.onSurrogate?.(surrogate);
  const stats = snapshotStats(target.stats);
  const inconclusive = xs.length < minAnswered ? inconclusiveReason(xs.length, stats, minAnswered) : undefined;
  const counts = new Map<number, number>();
  for (const l of o.evaluation.targetLabels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const majority = Math.max(0, ...counts.values());
  return {
    attack: 'extraction',
    strategy: o.strategy,
    points,
    fidelity: inconclusive === undefined ? points[points.length - 1]?.fidelity : undefined,
    baseline: rate(majority, o.evaluation.targetLabels.length),
    inconclusive,
    labelOnly,
    maxAnsweredPerIdentity: Math.max(0, ...stats.identities.map((i) => i.rowsAnswered)),
    stats,
  };

  function record(rows: number[][], answers: Answer[]): void {
    rows.forEach((x, i) => {
      const a = answers[i];
      if (a === undefined) return;
      if (a.scores !== undefined && a.scores.length === o.classes) labelOnly = false;
      ys.push(softLabel(a, o.classes));
      xs.push(x);
    });
  }

  function measure(queries: number): ExtractionPoint {
    const answered = xs.length;
    if (answered < minAnswered) return { queries, answered, fidelity: undefined, accuracy: undefined };
    const m = train();
    const labels = o.evaluation.x.map((x) => argmax(m.predictRow(x)));
    const n = labels.length;
    const fidelity = rate(labels.filter((l, i) => l === o.evaluation.targetLabels[i]).length, n);
    const y = o.evaluation.y;
    const accuracy = y === undefined ? undefined : rate(labels.filter((l, i) => l === y[i]).length, n);
    surrogate = m;
    return { queries, answered, fidelity, accuracy };
  }
}
