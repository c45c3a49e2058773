/**
 * How a membership score separates members from non-members, with intervals: AUC, advantage
 * (max TPR − FPR), and TPR at 1% and 0.1% FPR (where the records that leak most show; Carlini et
 * al. 2022), each with a bootstrap interval over the records, and the ROC kept in detail at low
 * FPR for log-log plots.
 */
import { advantage, auc, type RocPoint, roc, tprAtFpr } from '../ml/metrics.js';
import type { Rng } from '../rng.js';
import { bootstrap, type Estimate } from '../stats/intervals.js';
import type { Answer } from '../target/target.js';

export interface MembershipScore {
  readonly auc: Estimate;
  readonly advantage: Estimate;
  readonly tprAt1PctFpr: Estimate;
  readonly tprAt01PctFpr: Estimate;
  /**
   * The smallest FPR step the non-members allow (1 / their number). Below it, "TPR at FPR" is the
   * TPR with no false positive at all: with 400 non-members, 0.1% FPR cannot be resolved.
   */
  readonly fprResolution: number;
  readonly roc: readonly RocPoint[];
}

/** Scores: higher means "member". */
export function scoreMembership(memberScores: readonly number[], nonMemberScores: readonly number[], rng: Rng, replicates = 1000): MembershipScore {
  const { estimates } = bootstrap(
    [memberScores.length, nonMemberScores.length],
    ([mi, ni]) => {
      const pts = roc(
        (mi as readonly number[]).map((i) => memberScores[i] as number),
        (ni as readonly number[]).map((i) => nonMemberScores[i] as number),
      );
      return [auc(pts), advantage(pts), tprAtFpr(pts, 0.01), tprAtFpr(pts, 0.001)];
    },
    rng,
    replicates,
  );
  const [a, adv, t1, t01] = estimates as [Estimate, Estimate, Estimate, Estimate];
  return {
    auc: a,
    advantage: adv,
    tprAt1PctFpr: t1,
    tprAt01PctFpr: t01,
    fprResolution: 1 / Math.max(1, nonMemberScores.length),
    roc: thin(roc(memberScores, nonMemberScores)),
  };
}

/** Every point below 5% FPR (the log-log plot's region), about 150 above it. */
function thin(points: RocPoint[]): RocPoint[] {
  const low = points.filter((p) => p.fpr < 0.05);
  const high = points.filter((p) => p.fpr >= 0.05);
  const step = Math.max(1, Math.floor(high.length / 150));
  const kept = high.filter((_, i) => i % step === 0);
  const last = points[points.length - 1];
  if (last !== undefined && kept[kept.length - 1] !== last) kept.push(last);
  return [...low, ...kept];
}

/**
 * The records that were answered, members first as queried (`rows` is members then non-members),
 * and how many of each: refused records are left out of both groups alike, so a refusal cannot
 * pass for a non-member.
 */
export function answeredRecords<R extends { readonly x: readonly number[]; readonly y: number }>(
  rows: readonly R[],
  memberCount: number,
  answers: readonly (Answer | undefined)[],
): { scored: (R & { member: boolean; a: Answer })[]; answered: { members: number; nonMembers: number } } {
  const scored: (R & { member: boolean; a: Answer })[] = [];
  rows.forEach((r, i) => {
    const a = answers[i];
    if (a !== undefined) scored.push({ ...r, member: i < memberCount, a });
  });
  let members = 0;
  for (const r of scored) if (r.member) members++;
  return { scored, answered: { members, nonMembers: scored.length - members } };
}
