/**
 * Label-only membership inference by noise robustness (Choquette-Choo et al. 2021): a model's
 * label for a training record survives more noise than its label for an unseen one. For each
 * record the attacker queries noisy neighbours and scores the share labelled with the record's
 * label (plus whether the record itself is). It needs labels only, so it measures what rounding,
 * top-1 and label-only answers leave: masking scores does not stop it.
 *
 * The noise level is the attacker's choice: given population data and the target's recipe, it is
 * tuned on a shadow model (the level that separates the shadow's members best); else 0.5 standard
 * deviations.
 */

import { auc, roc } from '../ml/metrics.js';
import { argmax } from '../ml/mlp.js';
import { DEFAULT_RECIPE, type TrainingRecipe, trainByRecipe } from '../ml/recipe.js';
import { Rng } from '../rng.js';
import { snapshotStats, type Target, type TargetStats } from '../target/target.js';
import { clamp, type Dataset, inconclusiveReason, type Progress, queryAll, scaleOf } from './common.js';
import { membershipSample } from './membership.js';
import { type MembershipScore, scoreMembership } from './membership-score.js';

export interface LabelOnlyOptions {
  readonly members: Dataset;
  readonly nonMembers: Dataset;
  readonly classes: number;
  readonly seed: number;
  /** Per-feature [min, max]: neighbours stay inside. */
  readonly bounds: readonly (readonly [number, number])[];
  /** Per-feature unit of the noise (default: standard deviations of the population, else of the records). */
  readonly featureScale?: readonly number[];
  /** Noise standard deviation in `featureScale` units, or `tune` (needs population; default). */
  readonly noise?: number | 'tune';
  /** For tuning: data from the target's distribution and its recipe. */
  readonly population?: Dataset | undefined;
  readonly recipe?: TrainingRecipe | undefined;
  /** Noisy neighbours per record (default 32). */
  readonly neighbours?: number;
  /** Records from each group (default 200). */
  readonly sampleSize?: number;
  readonly minAnswered?: number;
  readonly replicates?: number;
  readonly batchSize?: number;
  readonly progress?: Progress;
}

export interface LabelOnlyResult {
  readonly attack: 'label-only';
  readonly score: MembershipScore | undefined;
  /** The noise level used, in feature-scale units. */
  readonly noise: number;
  readonly neighbours: number;
  readonly inconclusive: string | undefined;
  readonly answered: { readonly members: number; readonly nonMembers: number };
  readonly stats: TargetStats;
}

const NOISE_GRID = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2];

export async function labelOnlyAttack(target: Target, o: LabelOnlyOptions): Promise<LabelOnlyResult> {
  const rng = new Rng(o.seed);
  const k = o.classes;
  const q = o.neighbours ?? 32;
  const { members, nonMembers } = membershipSample(o, rng);
  const records = [...members, ...nonMembers];
  const scale = o.featureScale ?? scaleOf(o.population?.x ?? records.map((r) => r.x));
  const noisy = (x: readonly number[], sigma: number, r: Rng) =>
    x.map((v, j) => clamp(v + r.normal() * sigma * (scale[j] as number), (o.bounds[j] as [number, number])[0], (o.bounds[j] as [number, number])[1]));

  let sigma = typeof o.noise === 'number' ? o.noise : 0.5;
  if ((o.noise ?? 'tune') === 'tune' && o.population !== undefined) sigma = tune(o.population, k, o.recipe ?? DEFAULT_RECIPE, noisy, q, rng.fork(5));

  // Each record, then its neighbours: one query per row, batched.
  const nr = rng.fork(6);
  const rows = records.flatMap((rec) => [rec.x, ...Array.from({ length: q }, () => noisy(rec.x, sigma, nr))]);
  const answers = await queryAll(target, rows, o.batchSize ?? 50, o.progress);
  const stats = snapshotStats(target.stats);
  const scored: { member: boolean; score: number }[] = [];
  records.forEach((rec, i) => {
    const block = answers.slice(i * (q + 1), (i + 1) * (q + 1));
    const clean = block[0];
    const around = block.slice(1).filter((a) => a !== undefined);
    // A record counts only when it and at least half its neighbours were answered.
    if (clean === undefined || around.length < q / 2) return;
    const kept = around.filter((a) => a?.label === rec.y).length / around.length;
    scored.push({ member: i < members.length, score: (clean.label === rec.y ? 1 : 0) + kept });
  });
  const answered = { members: scored.filter((s) => s.member).length, nonMembers: scored.filter((s) => !s.member).length };
  const min = o.minAnswered ?? 50;
  const base = { attack: 'label-only' as const, noise: sigma, neighbours: q, answered, stats };
  if (answered.members < min || answered.nonMembers < min) {
    return {
      ...base,
      score: undefined,
      inconclusive: inconclusiveReason(Math.min(answered.members, answered.nonMembers), stats, min, 'records answered in the smaller group'),
    };
  }
  const score = scoreMembership(
    scored.filter((s) => s.member).map((s) => s.score),
    scored.filter((s) => !s.member).map((s) => s.score),
    rng.fork(7),
    o.replicates ?? 1000,
  );
  return { ...base, score, inconclusive: undefined };
}

/** The noise level that best separates a recipe-trained shadow's members from its non-members. */
function tune(pop: Dataset, k: number, recipe: TrainingRecipe, noisy: (x: readonly number[], sigma: number, r: Rng) => number[], q: number, rng: Rng): number {
  const size = Math.min(recipe.trainSize, Math.floor(pop.x.length / 2));
  const idx = rng.shuffle(pop.x.map((_, i) => i));
  const inIdx = idx.slice(0, size);
  const outIdx = idx.slice(size, 2 * size);
  const { model, labels } = trainByRecipe(
    inIdx.map((i) => pop.x[i] as number[]),
    inIdx.map((i) => pop.y[i] as number),
    k,
    recipe,
    rng.fork(1),
  );
  const evalIn = inIdx.slice(0, 300).map((i, j) => ({ x: pop.x[i] as number[], y: labels[j] as number }));
  const evalOut = outIdx.slice(0, 300).map((i) => ({ x: pop.x[i] as number[], y: pop.y[i] as number }));
  let best = { sigma: 0.5, auc: -1 };
  for (const sigma of NOISE_GRID) {
    const r = rng.fork(Math.round(sigma * 100));
    const score = (rec: { x: number[]; y: number }) => {
      let kept = 0;
      for (let i = 0; i < q; i++) if (argmax(model.predictRow(noisy(rec.x, sigma, r))) === rec.y) kept++;
      return (argmax(model.predictRow(rec.x)) === rec.y ? 1 : 0) + kept / q;
    };
    const a = auc(roc(evalIn.map(score), evalOut.map(score)));
    if (a > best.auc) best = { sigma, auc: a };
  }
  return best.sigma;
}
