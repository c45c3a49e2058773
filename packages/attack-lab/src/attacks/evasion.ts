/**
 * Evasion: nudge inputs the model flags (e.g. fraud) until it answers otherwise, within an L∞ or
 * L2 budget measured in per-feature standard deviations, changing only the features the attacker
 * controls. Three black-box searches:
 *   score     SimBA-style (Guo et al. 2019): try ±ε on one random feature at a time, keep a step
 *             when the score of the original label drops. Needs scores; on label-only answers it
 *             is a blind random walk.
 *   decision  boundary-style (Brendel et al. 2018, simplified): start from a row the model already
 *             labels otherwise, binary-search to the boundary, then walk along it toward the
 *             original while the label stays flipped. Needs labels only.
 *   hopskipjump HopSkipJump (Chen et al. 2020, hopskipjump.ts): boundary search with gradient
 *             estimates from label probes. Needs labels only; the strongest of the three.
 * Success: the label changed and the final point is within the budget. Reported per attempted
 * row and per row the attacker wanted to move (a budget that stops attempts shows as fewer
 * successes, not as a lower rate), with Wilson intervals; fewer than `minAttempted` attempts is
 * inconclusive.
 */
import { Rng } from '../rng.js';
import { type Estimate, rate } from '../stats/intervals.js';
import { snapshotStats, type Target, type TargetStats } from '../target/target.js';
import { clamp, inconclusiveReason, type Progress } from './common.js';
import { hopSkipJump } from './hopskipjump.js';

export type EvasionMethod = 'score' | 'decision' | 'hopskipjump';

export interface EvasionOptions {
  /** Rows to perturb (only those the target labels `sourceLabel` are attacked). */
  readonly samples: readonly (readonly number[])[];
  /** True labels of the samples (kept in the exported dataset). */
  readonly trueLabels?: readonly number[];
  /** Attack rows the target gives this label (default: whatever it answers for each). */
  readonly sourceLabel?: number;
  readonly method: EvasionMethod;
  /** Budget norm: `linf` (default, every feature may move by ε) or `l2` (the moves' Euclidean length is at most ε). */
  readonly norm?: 'linf' | 'l2';
  /** Budget, in units of `featureScale`. */
  readonly epsilon: number;
  /** Per-feature unit (e.g. the standard deviation in the attacker's data). */
  readonly featureScale: readonly number[];
  /** Per-feature [min, max] the perturbed rows must stay in. */
  readonly bounds: readonly (readonly [number, number])[];
  /** Features the attacker can change (default: all). */
  readonly mutable?: readonly number[];
  /** Query budget per sample (default 200 for score, 400 for decision, 1000 for hopskipjump). */
  readonly maxQueriesPerSample?: number;
  /** Fewer attempted rows than this and the run is inconclusive (default 10). */
  readonly minAttempted?: number;
  /** Rows that may start a decision-based search (any label; those labelled otherwise are used). */
  readonly startPool?: readonly (readonly number[])[];
  readonly seed: number;
  readonly progress?: Progress;
}

export interface AdversarialExample {
  readonly original: readonly number[];
  readonly adversarial: readonly number[];
  readonly trueLabel: number | undefined;
  readonly originalLabel: number;
  readonly newLabel: number;
  /** Distance in feature-scale units, in the budget's norm. */
  readonly distance: number;
  readonly queries: number;
}

export interface EvasionResult {
  readonly attack: 'evasion';
  readonly method: EvasionMethod;
  readonly norm: 'linf' | 'l2';
  readonly epsilon: number;
  /** Rows the attacker wanted to move: every sample, less those the target already labelled otherwise. */
  readonly wanted: number;
  /** Rows actually attacked (answered, with the source label). */
  readonly attempted: number;
  readonly succeeded: number;
  /** Successes per attempted row (undefined when inconclusive). */
  readonly successRate: Estimate | undefined;
  /** Successes per wanted row: what a budget that cuts attempts short shows up in. */
  readonly successPerWanted: Estimate;
  readonly meanQueriesPerSuccess: number | undefined;
  readonly queryBudgetPerSample: number;
  /** Successes by queries spent on a sample: [queries, cumulative success rate per attempted row]. */
  readonly curve: readonly (readonly [number, number])[];
  /** Over the whole run: [rows sent so far, successes per wanted row so far], after each sample. */
  readonly progressCurve: readonly (readonly [number, number])[];
  readonly inconclusive: string | undefined;
  readonly examples: readonly AdversarialExample[];
  readonly stats: TargetStats;
}

export async function evasionAttack(target: Target, o: EvasionOptions): Promise<EvasionResult> {
  const rng = new Rng(o.seed);
  const d = o.featureScale.length;
  const mutable = o.mutable ?? Array.from({ length: d }, (_, j) => j);
  const budget = o.maxQueriesPerSample ?? (o.method === 'score' ? 200 : o.method === 'decision' ? 400 : 1000);
  const examples: AdversarialExample[] = [];
  const spentOnSuccess: number[] = [];
  let attempted = 0;
  let alreadyOther = 0;
  const progressed: [number, number][] = [];
  const sentAtStart = target.stats.rowsSent;

  const norm = o.norm ?? 'linf';
  const scaled = (a: readonly number[], b: readonly number[]) => mutable.map((j) => ((a[j] as number) - (b[j] as number)) / (o.featureScale[j] as number));
  const dist = (a: readonly number[], b: readonly number[]) => {
    const v = scaled(a, b);
    return norm === 'linf' ? Math.max(0, ...v.map(Math.abs)) : Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  };
  /** Into the ε-ball around `origin` (immutable features reset), then into the data bounds (which only shrinks moves). */
  const project = (x: number[], origin: readonly number[], eps: number): number[] => {
    let shrink = 1;
    if (norm === 'l2' && Number.isFinite(eps)) {
      const d = dist(x, origin);
      if (d > eps) shrink = eps / d;
    }
    return x.map((v, j) => {
      const [lo, hi] = o.bounds[j] as [number, number];
      const o0 = origin[j] as number;
      if (!mutable.includes(j)) return o0;
      let y = o0 + (v - o0) * shrink;
      if (norm === 'linf') {
        const s = (o.featureScale[j] as number) * eps;
        y = clamp(y, o0 - s, o0 + s);
      }
      return clamp(y, lo, hi);
    });
  };

  for (let i = 0; i < o.samples.length && !target.stats.gaveUp; i++) {
    if (i > 0) progressed.push([target.stats.rowsSent - sentAtStart, examples.length]);
    const x0 = o.samples[i] as readonly number[];
    const first = (await target.query([x0]))?.[0];
    o.progress?.(i + 1, o.samples.length);
    if (first === undefined) continue;
    if (o.sourceLabel !== undefined && first.label !== o.sourceLabel) {
      alreadyOther++;
      continue;
    }
    attempted++;
    const r = rng.fork(i);
    let queries = 1;
    const ask = async (x: number[]) => {
      queries++;
      return (await target.query([x]))?.[0];
    };
    let found: { x: number[]; label: number } | undefined;
    if (o.method === 'hopskipjump') {
      found = await hopSkipJump({
        x0,
        originalLabel: first.label,
        ask,
        spent: () => queries,
        budget,
        norm,
        epsilon: o.epsilon,
        scale: o.featureScale,
        bounds: o.bounds,
        mutable,
        startPool: o.startPool ?? [],
        rng: r,
      });
    } else if (o.method === 'score') {
      const scoreOf = (a: { label: number; scores?: readonly number[] | undefined }) =>
        a.scores === undefined ? (a.label === first.label ? 1 : 0) : (a.scores[first.label] ?? 0);
      let x = [...x0];
      let best = scoreOf(first);
      while (queries < budget && found === undefined) {
        const j = mutable[r.int(mutable.length)] as number;
        for (const sign of r.next() < 0.5 ? [1, -1] : [-1, 1]) {
          const cand = [...x];
          cand[j] = (cand[j] as number) + sign * o.epsilon * (o.featureScale[j] as number);
          const y = project(cand, x0, o.epsilon);
          const a = await ask(y);
          if (a === undefined) break;
          if (a.label !== first.label) {
            found = { x: y, label: a.label };
            break;
          }
          const s = scoreOf(a);
          if (s <= best) {
            // Keep non-worsening steps: with scores it descends; on labels only it wanders.
            best = s;
            x = y;
            break;
          }
          if (queries >= budget) break;
        }
      }
    } else {
      // Decision-based: start from a row the model labels otherwise, nearest first.
      const pool = [...(o.startPool ?? [])].sort((a, b) => dist(a, x0) - dist(b, x0));
      let start: { x: number[]; label: number } | undefined;
      for (const cand of pool.slice(0, 10)) {
        const y = project([...cand], x0, Number.POSITIVE_INFINITY);
        const a = await ask(y);
        if (a !== undefined && a.label !== first.label) {
          start = { x: y, label: a.label };
          break;
        }
      }
      if (start !== undefined) {
        let adv = start.x;
        let advLabel = start.label;
        // Binary search toward the original along the segment.
        let lo = 0;
        let hi = 1;
        for (let s = 0; s < 10 && queries < budget; s++) {
          const mid = (lo + hi) / 2;
          const y = x0.map((v, j) => v + mid * ((start.x[j] as number) - v));
          const a = await ask(y);
          if (a !== undefined && a.label !== first.label) {
            hi = mid;
            adv = y;
            advLabel = a.label;
          } else lo = mid;
        }
        let step = 0.1;
        while (queries < budget && dist(adv, x0) > o.epsilon) {
          const dcur = dist(adv, x0);
          // A random move along the boundary, then a contraction toward the original.
          const cand = adv.map((v, j) => (mutable.includes(j) ? v + r.normal() * step * dcur * (o.featureScale[j] as number) : v));
          const toward = cand.map((v, j) => v + step * ((x0[j] as number) - v));
          const y = project(toward, x0, Number.POSITIVE_INFINITY);
          const a = await ask(y);
          if (a !== undefined && a.label !== first.label && dist(y, x0) < dcur) {
            adv = y;
            advLabel = a.label;
            step = Math.min(0.5, step * 1.5);
          } else step = Math.max(0.005, step * 0.7);
        }
        if (dist(adv, x0) <= o.epsilon) found = { x: adv, label: advLabel };
      }
    }
    if (found !== undefined) {
      spentOnSuccess.push(queries);
      examples.push({
        original: x0,
        adversarial: found.x,
        trueLabel: o.trueLabels?.[i],
        originalLabel: first.label,
        newLabel: found.label,
        distance: dist(found.x, x0),
        queries,
      });
    }
  }
  const sorted = [...spentOnSuccess].sort((a, b) => a - b);
  const curve = sorted.map((q, i) => [q, (i + 1) / Math.max(1, attempted)] as const);
  const stats = snapshotStats(target.stats);
  const min = o.minAttempted ?? 10;
  const inconclusive = attempted < min ? inconclusiveReason(attempted, stats, min, 'rows attempted') : undefined;
  const wanted = o.samples.length - alreadyOther;
  progressed.push([target.stats.rowsSent - sentAtStart, examples.length]);
  return {
    attack: 'evasion',
    method: o.method,
    norm,
    epsilon: o.epsilon,
    wanted,
    attempted,
    succeeded: examples.length,
    successRate: inconclusive === undefined ? rate(examples.length, attempted) : undefined,
    successPerWanted: rate(examples.length, wanted),
    meanQueriesPerSuccess: sorted.length === 0 ? undefined : sorted.reduce((a, b) => a + b, 0) / sorted.length,
    queryBudgetPerSample: budget,
    curve,
    progressCurve: progressed.map(([q, n]) => [q, n / Math.max(1, wanted)] as const),
    inconclusive,
    examples,
    stats,
  };
}
