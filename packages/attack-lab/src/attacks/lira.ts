/**
 * LiRA, the likelihood-ratio membership attack (Carlini et al. 2022), offline variant: shadow
 * models trained by the target's recipe on population data (none of them sees the records under
 * test) give, for every record, the distribution of the logit-scaled confidence φ = log(p/(1−p))
 * of its label when it is *not* in training. A record whose target confidence sits far above that
 * distribution was probably trained on. Calibrating per record is what finds the few records that
 * leak most, which one global threshold (membership.ts) hides: hence TPR at 1% and 0.1% FPR.
 *
 * The shadows' answers are seen the way the target's are (rounded to the same decimals, or as
 * labels only), so a defence that rounds is measured on what an attacker really sees. With fewer
 * than 32 shadows the variance is pooled over records (Carlini et al.'s fixed-variance variant).
 */
import { argmax, type Mlp, oneHot } from '../ml/mlp.js';
import { DEFAULT_RECIPE, type TrainingRecipe, trainByRecipe } from '../ml/recipe.js';
import { Rng } from '../rng.js';
import { snapshotStats, type Target, type TargetStats } from '../target/target.js';
import { type Dataset, inconclusiveReason, observedDecimals, type Progress, queryAll } from './common.js';
import { membershipSample, roundLike } from './membership.js';
import { answeredRecords, type MembershipScore, scoreMembership } from './membership-score.js';

export interface LiraOptions {
  readonly members: Dataset;
  readonly nonMembers: Dataset;
  /** The attacker's data from the target's distribution: what the shadows train on. */
  readonly population: Dataset;
  readonly classes: number;
  readonly seed: number;
  /** Records from each group (default 400). */
  readonly sampleSize?: number;
  /** Shadow models (default 16). */
  readonly shadowModels?: number;
  /** The target's training recipe as the attacker knows it. */
  readonly recipe?: TrainingRecipe | undefined;
  /** Shadows already trained (`trainShadows`): share them between targets of one run. */
  readonly trainedShadows?: readonly Mlp[] | undefined;
  /** Pool the variance over records (default: when fewer than 32 shadows). */
  readonly fixedVariance?: boolean;
  readonly minAnswered?: number;
  readonly replicates?: number;
  readonly batchSize?: number;
  readonly progress?: Progress;
}

export interface LiraResult {
  readonly attack: 'lira';
  readonly score: MembershipScore | undefined;
  readonly shadowModels: number;
  readonly variance: 'fixed' | 'per-record';
  readonly recipe: TrainingRecipe;
  readonly inconclusive: string | undefined;
  readonly labelOnly: boolean;
  readonly answered: { readonly members: number; readonly nonMembers: number };
  readonly stats: TargetStats;
}

/** logit(p) with p kept away from 0 and 1 by `eps` (what the answers' precision can tell apart). */
export const logit = (p: number, eps: number) => {
  const q = Math.min(1 - eps, Math.max(eps, p));
  return Math.log(q) - Math.log(1 - q);
};

export async function liraAttack(target: Target, o: LiraOptions): Promise<LiraResult> {
  const rng = new Rng(o.seed);
  const k = o.classes;
  const recipe = o.recipe ?? DEFAULT_RECIPE;
  const shadows = o.trainedShadows?.length ?? o.shadowModels ?? 16;
  const fixed = o.fixedVariance ?? shadows < 32;
  const { members, nonMembers } = membershipSample({ ...o, sampleSize: o.sampleSize ?? 400 }, rng);
  const rows = [...members, ...nonMembers];
  const answers = await queryAll(
    target,
    rows.map((r) => r.x),
    o.batchSize ?? 50,
  );
  const stats = snapshotStats(target.stats);
  const labelOnly = answers.every((a) => a?.scores === undefined);
  const decimals = observedDecimals(answers);
  const round = roundLike(decimals);
  // Labels only: the "confidence" is 0 or 1, kept finite; rounded: what the decimals can tell apart.
  const eps = labelOnly || decimals === undefined ? 1e-7 : 0.5 * 10 ** -decimals;
  const seen = (p: readonly number[]): readonly number[] => (labelOnly ? oneHot(argmax(p), k) : p.map(round));
  const { scored, answered } = answeredRecords(rows, members.length, answers);
  const base = {
    attack: 'lira' as const,
    shadowModels: shadows,
    variance: fixed ? ('fixed' as const) : ('per-record' as const),
    recipe,
    labelOnly,
    answered,
    stats,
  };
  const min = o.minAnswered ?? 50;
  if (answered.members < min || answered.nonMembers < min) {
    return {
      ...base,
      score: undefined,
      inconclusive: inconclusiveReason(Math.min(answered.members, answered.nonMembers), stats, min, 'answered in the smaller group'),
    };
  }

  // φ of every scored record under every shadow (all OUT: shadows train on population data only).
  const models = o.trainedShadows ?? trainShadows(o.population, k, recipe, shadows, o.seed, o.progress);
  const phis: number[][] = scored.map((rec) => models.map((model) => logit(seen(model.predictRow(rec.x))[rec.y] ?? 0, eps)));
  const means = phis.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const variances = phis.map((v, j) => v.reduce((a, b) => a + (b - (means[j] as number)) ** 2, 0) / Math.max(1, v.length - 1));
  const pooled = Math.sqrt(variances.reduce((a, b) => a + b, 0) / variances.length) || 1;
  const z = scored.map((rec, j) => {
    const observed = logit(seen(rec.a.scores !== undefined && rec.a.scores.length === k ? rec.a.scores : oneHot(rec.a.label, k))[rec.y] ?? 0, eps);
    const sd = fixed ? pooled : Math.max(Math.sqrt(variances[j] as number), 1e-3);
    return (observed - (means[j] as number)) / sd;
  });
  const score = scoreMembership(
    z.filter((_, j) => scored[j]?.member),
    z.filter((_, j) => !scored[j]?.member),
    rng.fork(7),
    o.replicates ?? 1000,
  );
  return { ...base, score, inconclusive: undefined };
}

/**
 * The shadow models of offline LiRA: each trained by the recipe on a random draw of the
 * population. They depend on the seed, the population and the recipe only, so one set serves
 * every target of a run.
 */
export function trainShadows(population: Dataset, classes: number, recipe: TrainingRecipe, count: number, seed: number, progress?: Progress): Mlp[] {
  const rng = new Rng(seed).fork(0x5ad0);
  const size = Math.min(recipe.trainSize, population.x.length);
  const models: Mlp[] = [];
  for (let s = 0; s < count; s++) {
    const r = rng.fork(s);
    const idx = r.shuffle(population.x.map((_, i) => i)).slice(0, size);
    models.push(
      trainByRecipe(
        idx.map((i) => population.x[i] as number[]),
        idx.map((i) => population.y[i] as number),
        classes,
        recipe,
        r.fork(1),
      ).model,
    );
    progress?.(s + 1, count);
  }
  return models;
}
