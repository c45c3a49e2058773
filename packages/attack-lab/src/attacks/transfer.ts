/**
 * Transfer evasion: adversarial rows crafted white-box on a surrogate (what extraction produced),
 * then sent to the target. The attacker spends no query on the search, so budgets and detectors
 * of query patterns never see it; what it costs is the extraction that came before. Projected
 * gradient descent (Madry et al. 2018) on the surrogate's loss for the row's current label, in
 * per-feature standard-deviation units, on the features the attacker controls, inside the bounds.
 *
 * Measured: of the rows the target gives the source label, the share whose adversarial version it
 * labels otherwise. The target's labels come from `judge`, a measurement target (e.g. the
 * unguarded model), not the attacker: its queries are not the attacker's.
 */
import type { Mlp } from '../ml/mlp.js';
import { argmax } from '../ml/mlp.js';
import { type Estimate, rate } from '../stats/intervals.js';
import type { Target } from '../target/target.js';
import { clamp, queryAll } from './common.js';

export interface TransferOptions {
  readonly samples: readonly (readonly number[])[];
  /** Attack rows the judge labels this (default: any). */
  readonly sourceLabel?: number;
  readonly norm?: 'linf' | 'l2';
  readonly epsilon: number;
  readonly featureScale: readonly number[];
  readonly bounds: readonly (readonly [number, number])[];
  readonly mutable?: readonly number[];
  /** PGD steps (default 40). */
  readonly steps?: number;
  readonly minAttempted?: number;
}

export interface TransferResult {
  readonly attack: 'transfer';
  readonly norm: 'linf' | 'l2';
  readonly epsilon: number;
  /** Rows the judge labels with the source label. */
  readonly attempted: number;
  /** Of those, rows the surrogate was fooled on (the attacker's own view of success). */
  readonly fooledSurrogate: number;
  readonly transferred: number;
  readonly transferRate: Estimate | undefined;
  /** Queries the attacker sent to the target for this attack: none. */
  readonly attackerQueries: 0;
  readonly inconclusive: string | undefined;
}

export async function transferAttack(surrogate: Mlp, judge: Target, o: TransferOptions): Promise<TransferResult> {
  const norm = o.norm ?? 'linf';
  const d = o.featureScale.length;
  const mutable = o.mutable ?? Array.from({ length: d }, (_, j) => j);
  const steps = o.steps ?? 40;
  const craft = (x0: readonly number[]): number[] => {
    const label = argmax(surrogate.predictRow(x0));
    let x = [...x0];
    const alpha = (2.5 * o.epsilon) / steps;
    for (let s = 0; s < steps; s++) {
      const g = surrogate.inputGradient(x, label);
      // Ascend the loss of the current label, in standard-deviation units.
      const gs = mutable.map((j) => (g[j] as number) * (o.featureScale[j] as number));
      const n = norm === 'l2' ? Math.sqrt(gs.reduce((t, v) => t + v * v, 0)) || 1 : 1;
      mutable.forEach((j, i) => {
        const step = norm === 'linf' ? Math.sign(gs[i] as number) : (gs[i] as number) / n;
        x[j] = (x[j] as number) + alpha * step * (o.featureScale[j] as number);
      });
      x = project(x, x0);
    }
    return x;
  };
  const project = (x: number[], x0: readonly number[]): number[] => {
    let shrink = 1;
    if (norm === 'l2') {
      const dist = Math.sqrt(mutable.reduce((t, j) => t + (((x[j] as number) - (x0[j] as number)) / (o.featureScale[j] as number)) ** 2, 0));
      if (dist > o.epsilon) shrink = o.epsilon / dist;
    }
    return x.map((v, j) => {
      const o0 = x0[j] as number;
      if (!mutable.includes(j)) return o0;
      let y = o0 + (v - o0) * shrink;
      if (norm === 'linf') {
        const s = (o.featureScale[j] as number) * o.epsilon;
        y = clamp(y, o0 - s, o0 + s);
      }
      const [lo, hi] = o.bounds[j] as [number, number];
      return clamp(y, lo, hi);
    });
  };
  const adversarial = o.samples.map(craft);
  const fooled = o.samples.map((x, i) => argmax(surrogate.predictRow(adversarial[i] as number[])) !== argmax(surrogate.predictRow(x)));
  const before = await queryAll(judge, o.samples, 50);
  const after = await queryAll(judge, adversarial, 50);
  let attempted = 0;
  let transferred = 0;
  let fooledSurrogate = 0;
  before.forEach((a, i) => {
    const b = after[i];
    if (a === undefined || b === undefined) return;
    if (o.sourceLabel !== undefined && a.label !== o.sourceLabel) return;
    attempted++;
    if (fooled[i]) fooledSurrogate++;
    if (b.label !== a.label) transferred++;
  });
  const min = o.minAttempted ?? 10;
  return {
    attack: 'transfer',
    norm,
    epsilon: o.epsilon,
    attempted,
    fooledSurrogate,
    transferred,
    transferRate: attempted >= min ? rate(transferred, attempted) : undefined,
    attackerQueries: 0,
    inconclusive: attempted >= min ? undefined : `${attempted} rows judged with the source label (needs ${min})`,
  };
}
