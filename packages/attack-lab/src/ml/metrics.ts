/** Metrics for membership inference: ROC, AUC, advantage, TPR at a fixed FPR. */

export interface RocPoint {
  fpr: number;
  tpr: number;
}

/**
 * ROC of a score that should be higher for members. Ties are handled by moving through each group
 * of equal scores at once, so a constant score gives the diagonal (AUC 0.5), not a lucky order.
 */
export function roc(memberScores: readonly number[], nonMemberScores: readonly number[]): RocPoint[] {
  const all = [...memberScores.map((s) => ({ s, m: 1 })), ...nonMemberScores.map((s) => ({ s, m: 0 }))].sort((a, b) => b.s - a.s);
  const P = memberScores.length;
  const N = nonMemberScores.length;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; ) {
    const s = all[i]?.s;
    while (i < all.length && all[i]?.s === s) {
      if (all[i]?.m === 1) tp++;
      else fp++;
      i++;
    }
    points.push({ fpr: fp / N, tpr: tp / P });
  }
  return points;
}

export function auc(points: readonly RocPoint[]): number {
  let a = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1] as RocPoint;
    const q = points[i] as RocPoint;
    a += ((q.fpr - p.fpr) * (q.tpr + p.tpr)) / 2;
  }
  return a;
}

/** Membership advantage: max over thresholds of TPR - FPR (Yeom et al. 2018). */
export function advantage(points: readonly RocPoint[]): number {
  return Math.max(0, ...points.map((p) => p.tpr - p.fpr));
}

/** Highest TPR at FPR at most `fpr`. */
export function tprAtFpr(points: readonly RocPoint[], fpr: number): number {
  return Math.max(0, ...points.filter((p) => p.fpr <= fpr + 1e-12).map((p) => p.tpr));
}
