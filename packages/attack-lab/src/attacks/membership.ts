/**
 * Membership inference: was this record in the training set? Three black-box scores on a balanced
 * set of known members and non-members, each reported with AUC, advantage, TPR at 1% and 0.1% FPR
 * and their bootstrap intervals:
 *   confidence  the top score (needs no label; Salem et al. 2019)
 *   loss        the score of the true label, i.e. -loss (Yeom et al. 2018)
 *   shadow      an attack model trained on shadow models that copy the target's training recipe
 *               (Shokri et al. 2017), their answers seen the way the target's are (rounded, or
 *               labels only)
 * One global threshold per score: LiRA (lira.ts) calibrates per record and finds the records
 * these miss; on labels only, the label-only attack (label-only.ts) is the stronger one.
 */

import { argmax, Mlp, oneHot } from '../ml/mlp.js';
import { DEFAULT_RECIPE, type TrainingRecipe, trainByRecipe } from '../ml/recipe.js';
import { Rng } from '../rng.js';
import { type Answer, snapshotStats, type Target, type TargetStats } from '../target/target.js';
import { type Dataset, inconclusiveReason, observedDecimals, type Progress, queryAll } from './common.js';
import { answeredRecords, type MembershipScore, scoreMembership } from './membership-score.js';

export interface MembershipOptions {
  /** Known training records (ground truth for the measurement). */
  readonly members: Dataset;
  /** Records from the same distribution that were not trained on. */
  readonly nonMembers: Dataset;
  /** Data the attacker may train shadow models on; without it the shadow attack is skipped. */
  readonly population?: Dataset | undefined;
  readonly classes: number;
  readonly seed: number;
  /** Records taken from each of members and non-members (default 200). */
  readonly sampleSize?: number;
  /** Shadow models (default 4). */
  readonly shadowModels?: number;
  /** How the shadows are trained: the target's recipe as the attacker knows it (default DEFAULT_RECIPE). */
  readonly recipe?: TrainingRecipe | undefined;
  /** Fewer answered members or non-members than this and the run is inconclusive (default 50). */
  readonly minAnswered?: number;
  /** Bootstrap resamples for the intervals (default 1000). */
  readonly replicates?: number;
  readonly batchSize?: number;
  readonly progress?: Progress;
}

export type MembershipScoreName = 'confidence' | 'loss' | 'shadow';

export interface MembershipResult {
  readonly attack: 'membership';
  readonly attacks: Readonly<Record<MembershipScoreName, MembershipScore | undefined>>;
  /** The strongest of the scores, by AUC (undefined when inconclusive). */
  readonly best: { readonly name: MembershipScoreName; readonly score: MembershipScore } | undefined;
  readonly inconclusive: string | undefined;
  readonly labelOnly: boolean;
  /** Members and non-members answered. */
  readonly answered: { readonly members: number; readonly nonMembers: number };
  readonly stats: TargetStats;
}

const EPS = 1e-6;

/** The attacker's view of one answer: scores if given, else a one-hot of the label. */
function view(a: Answer, k: number): readonly number[] {
  return a.scores !== undefined && a.scores.length === k ? a.scores : oneHot(a.label, k);
}

function features(p: readonly number[], y: number): number[] {
  const py = Math.max(p[y] ?? 0, EPS);
  return [Math.log(py), p[y] ?? 0, Math.max(...p), argmax(p) === y ? 1 : 0];
}

/** A balanced sample of members and non-members, with their labels, the same for every attack of a seed. */
export function membershipSample(o: { members: Dataset; nonMembers: Dataset; sampleSize?: number | undefined }, rng: Rng) {
  const n = o.sampleSize ?? 200;
  const pick = (d: Dataset, r: Rng) => r.shuffle(d.x.map((x, i) => ({ x, y: d.y[i] as number }))).slice(0, n);
  return { members: pick(o.members, rng.fork(1)), nonMembers: pick(o.nonMembers, rng.fork(2)) };
}

export async function membershipAttack(target: Target, o: MembershipOptions): Promise<MembershipResult> {
  const rng = new Rng(o.seed);
  const k = o.classes;
  const { members, nonMembers } = membershipSample(o, rng);
  const rows = [...members, ...nonMembers];
  const answers = await queryAll(
    target,
    rows.map((r) => r.x),
    o.batchSize ?? 50,
    o.progress,
  );
  const labelOnly = answers.every((a) => a?.scores === undefined);
  const decimals = observedDecimals(answers);
  const stats = snapshotStats(target.stats);

  // Only answered records can be scored; refused ones are left out of both groups alike.
  const { scored, answered } = answeredRecords(rows, members.length, answers);
  const min = o.minAnswered ?? 50;
  if (answered.members < min || answered.nonMembers < min) {
    const reason = inconclusiveReason(Math.min(answered.members, answered.nonMembers), stats, min, 'answered in the smaller group');
    return {
      attack: 'membership',
      attacks: { confidence: undefined, loss: undefined, shadow: undefined },
      best: undefined,
      inconclusive: reason,
      labelOnly,
      answered,
      stats,
    };
  }
  const reps = o.replicates ?? 1000;
  const split = (f: (r: (typeof scored)[number]) => number, seed: number) =>
    scoreMembership(scored.filter((r) => r.member).map(f), scored.filter((r) => !r.member).map(f), rng.fork(seed), reps);

  const confidence = split((r) => Math.max(...view(r.a, k)), 10);
  const loss = split((r) => Math.log(Math.max(view(r.a, k)[r.y] ?? 0, EPS)), 11);
  let shadow: MembershipScore | undefined;
  if (o.population !== undefined) {
    const attackModel = trainShadowAttack(o.population, k, o.shadowModels ?? 4, o.recipe ?? DEFAULT_RECIPE, labelOnly, decimals, rng.fork(3));
    shadow = split((r) => attackModel.predictRow(features(view(r.a, k), r.y))[1] as number, 12);
  }
  const all = { confidence, loss, shadow };
  const names = (Object.keys(all) as MembershipScoreName[]).filter((x) => all[x] !== undefined);
  const bestName = names.sort((a, b) => (all[b]?.auc.value ?? 0) - (all[a]?.auc.value ?? 0))[0] ?? 'confidence';
  return {
    attack: 'membership',
    attacks: all,
    best: { name: bestName, score: all[bestName] as MembershipScore },
    inconclusive: undefined,
    labelOnly,
    answered,
    stats,
  };
}

/** Rounds like the target's answers were (undefined: full precision). */
export const roundLike = (decimals: number | undefined) => (v: number) => (decimals === undefined ? v : Math.round(v * 10 ** decimals) / 10 ** decimals);

/**
 * Shadow models: each trained by the recipe on a random draw from the population, like the target
 * was on its data; their answers on in/out records, seen the way the target's answers are seen
 * (labels only, or rounded like the target's), train a logistic attack model.
 */
function trainShadowAttack(pop: Dataset, k: number, count: number, recipe: TrainingRecipe, labelOnly: boolean, decimals: number | undefined, rng: Rng): Mlp {
  const feats: number[][] = [];
  const targets: number[][] = [];
  const size = Math.min(recipe.trainSize, Math.floor(pop.x.length / 2));
  const round = roundLike(decimals);
  for (let s = 0; s < count; s++) {
    const r = rng.fork(s);
    const idx = r.shuffle(pop.x.map((_, i) => i)).slice(0, 2 * size);
    const inIdx = idx.slice(0, size);
    const outIdx = idx.slice(size);
    const { model, labels } = trainByRecipe(
      inIdx.map((i) => pop.x[i] as number[]),
      inIdx.map((i) => pop.y[i] as number),
      k,
      recipe,
      r.fork(100),
    );
    // A member's label is the one it was trained with (noisy, like the target's members' labels).
    const add = (i: number, label: number, member: 0 | 1) => {
      const p = model.predictRow(pop.x[i] as number[]);
      const seen = labelOnly ? oneHot(argmax(p), k) : p.map(round);
      feats.push(features(seen, label));
      targets.push(oneHot(member, 2));
    };
    inIdx.forEach((i, j) => {
      add(i, labels[j] as number, 1);
    });
    for (const i of outIdx) add(i, pop.y[i] as number, 0);
  }
  const attack = new Mlp({ inputs: 4, classes: 2, hidden: 0 }, rng.fork(999));
  attack.fit(feats, targets, { epochs: 30, learningRate: 0.05 }, rng.fork(1000));
  return attack;
}
