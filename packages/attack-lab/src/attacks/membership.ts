/**
 * Membership inference: was this record in the training set? Three black-box attacks, each
 * scored by AUC, advantage (max TPR - FPR) and TPR at 1% FPR on a balanced set of known members
 * and non-members:
 *   confidence  the top score (needs no label; Salem et al. 2019)
 *   loss        the score of the true label, i.e. -loss (Yeom et al. 2018)
 *   shadow      an attack model trained on shadow models that imitate the target (Shokri et al. 2017)
 * When the target returns labels only, scores degrade to "is the label right" (the gap attack),
 * which still leaks when the model fits its training set better than the rest.
 */

import { advantage, auc, type RocPoint, roc, tprAtFpr } from '../ml/metrics.js';
import { argmax, Mlp, oneHot } from '../ml/mlp.js';
import { Rng } from '../rng.js';
import type { Answer, Target, TargetStats } from '../target/target.js';
import { type Dataset, observedDecimals, type Progress, queryAll } from './common.js';

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
  /** Training epochs of each shadow model (default 150). */
  readonly shadowEpochs?: number;
  readonly batchSize?: number;
  readonly progress?: Progress;
}

export interface MembershipScore {
  readonly auc: number;
  readonly advantage: number;
  readonly tprAt1PctFpr: number;
  readonly roc: readonly RocPoint[];
}

export interface MembershipResult {
  readonly attack: 'membership';
  readonly attacks: Readonly<Record<'confidence' | 'loss' | 'shadow', MembershipScore | undefined>>;
  /** The strongest of the attacks, by advantage. */
  readonly best: { readonly name: string; readonly auc: number; readonly advantage: number };
  readonly labelOnly: boolean;
  readonly answered: number;
  readonly stats: TargetStats;
}

const EPS = 1e-6;

/** The attacker's view of one answer: scores if given, else a one-hot of the label. */
function view(a: Answer, k: number): readonly number[] {
  return a.scores !== undefined && a.scores.length === k ? a.scores : oneHot(a.label, k);
}

function score(points: RocPoint[]): MembershipScore {
  return { auc: auc(points), advantage: advantage(points), tprAt1PctFpr: tprAtFpr(points, 0.01), roc: thin(points) };
}

/** At most ~200 ROC points, for reports. */
function thin(points: RocPoint[]): RocPoint[] {
  if (points.length <= 200) return points;
  const step = points.length / 200;
  const out: RocPoint[] = [];
  for (let i = 0; i < points.length; i += step) out.push(points[Math.floor(i)] as RocPoint);
  out.push(points[points.length - 1] as RocPoint);
  return out;
}

function features(p: readonly number[], y: number): number[] {
  const py = Math.max(p[y] ?? 0, EPS);
  return [Math.log(py), p[y] ?? 0, Math.max(...p), argmax(p) === y ? 1 : 0];
}

export async function membershipAttack(target: Target, o: MembershipOptions): Promise<MembershipResult> {
  const rng = new Rng(o.seed);
  const n = o.sampleSize ?? 200;
  const k = o.classes;
  const pick = (d: Dataset, r: Rng) => r.shuffle(d.x.map((x, i) => ({ x, y: d.y[i] as number }))).slice(0, n);
  const members = pick(o.members, rng.fork(1));
  const nonMembers = pick(o.nonMembers, rng.fork(2));
  const rows = [...members, ...nonMembers];
  const answers = await queryAll(
    target,
    rows.map((r) => r.x),
    o.batchSize ?? 50,
    o.progress,
  );
  const labelOnly = answers.every((a) => a?.scores === undefined);
  const decimals = observedDecimals(answers);

  // Only answered records can be scored; refused ones are left out of both groups alike.
  const scored = rows.map((r, i) => ({ ...r, member: i < members.length, a: answers[i] })).filter((r) => r.a !== undefined) as {
    x: readonly number[];
    y: number;
    member: boolean;
    a: Answer;
  }[];
  const split = (f: (r: (typeof scored)[number]) => number) => roc(scored.filter((r) => r.member).map(f), scored.filter((r) => !r.member).map(f));

  const confidence = score(split((r) => Math.max(...view(r.a, k))));
  const loss = score(split((r) => Math.log(Math.max(view(r.a, k)[r.y] ?? 0, EPS))));
  let shadow: MembershipScore | undefined;
  if (o.population !== undefined && scored.length > 0) {
    const attackModel = trainShadowAttack(o.population, k, o.shadowModels ?? 4, o.shadowEpochs ?? 150, labelOnly, decimals, rng.fork(3));
    shadow = score(split((r) => attackModel.predictRow(features(view(r.a, k), r.y))[1] as number));
  }
  const all = { confidence, loss, shadow };
  const bestName =
    (Object.keys(all) as (keyof typeof all)[]).filter((x) => all[x] !== undefined).sort((a, b) => (all[b]?.advantage ?? 0) - (all[a]?.advantage ?? 0))[0] ??
    'confidence';
  const best = all[bestName] as MembershipScore;
  return {
    attack: 'membership',
    attacks: all,
    best: { name: bestName, auc: best.auc, advantage: best.advantage },
    labelOnly,
    answered: scored.length,
    stats: { ...target.stats },
  };
}

/**
 * Shadow models: each is trained on half of a random draw from the population, like the target
 * was on its data; their answers on in/out records, seen the way the target's answers are seen
 * (labels only, or rounded like the target's), train a logistic attack model.
 */
function trainShadowAttack(pop: Dataset, k: number, count: number, epochs: number, labelOnly: boolean, decimals: number | undefined, rng: Rng): Mlp {
  const feats: number[][] = [];
  const targets: number[][] = [];
  const d = pop.x[0]?.length ?? 0;
  const size = Math.min(400, Math.floor(pop.x.length / 2));
  const round = (v: number) => (decimals === undefined ? v : Math.round(v * 10 ** decimals) / 10 ** decimals);
  for (let s = 0; s < count; s++) {
    const r = rng.fork(s);
    const idx = r.shuffle(pop.x.map((_, i) => i)).slice(0, 2 * size);
    const inIdx = idx.slice(0, size);
    const outIdx = idx.slice(size);
    const model = new Mlp({ inputs: d, classes: k, hidden: 64 }, r.fork(100));
    model.fit(
      inIdx.map((i) => pop.x[i] as number[]),
      inIdx.map((i) => oneHot(pop.y[i] as number, k)),
      { epochs, l2: 0, learningRate: 0.005 },
      r.fork(101),
    );
    for (const [set, member] of [
      [inIdx, 1],
      [outIdx, 0],
    ] as const) {
      for (const i of set) {
        const p = model.predictRow(pop.x[i] as number[]);
        const seen = labelOnly ? oneHot(argmax(p), k) : p.map(round);
        feats.push(features(seen, pop.y[i] as number));
        targets.push(oneHot(member, 2));
      }
    }
  }
  const attack = new Mlp({ inputs: 4, classes: 2, hidden: 0 }, rng.fork(999));
  attack.fit(feats, targets, { epochs: 30, learningRate: 0.05 }, rng.fork(1000));
  return attack;
}
