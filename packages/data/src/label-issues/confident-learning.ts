/**
 * Label issues by confident learning (Northcutt, Jiang and Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 2021; the method behind cleanlab), from
 * out-of-sample predicted probabilities: each row's probabilities must come from a model that did
 * not train on that row (k-fold cross-validation), or every training label looks right.
 *
 * 1. Per class j, a threshold t_j: the mean probability of j over the rows labelled j (the
 *    model's own confidence in that class).
 * 2. The confident joint C: a row labelled i counts towards (i, j) for the class j it is most
 *    probably among those whose probability reaches their threshold (rows reaching none are left
 *    out).
 * 3. Calibrated to the label counts and normalised, C estimates Q, the joint of given and true
 *    labels; n·(1 − trace Q) is the estimated number of label errors.
 * 4. Prune by noise rate: for each i ≠ j, the n·Q[i][j] rows labelled i with the largest margin
 *    p_j − p_i are issues; a row whose given label is also the model's prediction is not (as
 *    cleanlab does). Issues are ranked by self-confidence (the probability of the given label),
 *    lowest first.
 */

export interface LabelIssues {
  /** Row indices flagged, most likely mislabelled first. */
  readonly ranked: readonly number[];
  /** Estimated joint of given labels (rows) and true labels (columns); sums to 1. */
  readonly joint: readonly (readonly number[])[];
  /** n·(1 − trace of the joint). */
  readonly estimatedErrors: number;
  /** Per-class thresholds t_j. */
  readonly thresholds: readonly number[];
  /** Every row's self-confidence, p(given label): rank by it for a top-k of your own. */
  readonly selfConfidence: Float64Array;
}

export class LabelIssueError extends Error {
  override readonly name = 'LabelIssueError';
}

/**
 * `labels[i]` is row i's given class in [0, k); `probs` holds each row's k out-of-sample
 * probabilities (rows of k numbers, summing to about 1).
 */
export function findLabelIssues(labels: ArrayLike<number>, probs: readonly ArrayLike<number>[]): LabelIssues {
  const n = labels.length;
  if (n === 0) throw new LabelIssueError('no rows');
  if (probs.length !== n) throw new LabelIssueError(`${n} labels but ${probs.length} rows of probabilities`);
  const k = probs[0]?.length ?? 0;
  if (k < 2) throw new LabelIssueError('probabilities must cover at least two classes');
  for (let r = 0; r < n; r++) {
    const p = probs[r] as ArrayLike<number>;
    const y = labels[r] as number;
    if (p.length !== k) throw new LabelIssueError(`row ${r}: ${p.length} probabilities, expected ${k}`);
    if (!Number.isInteger(y) || y < 0 || y >= k) throw new LabelIssueError(`row ${r}: label ${y} is not a class in [0, ${k})`);
    let s = 0;
    for (let j = 0; j < k; j++) {
      const v = p[j] as number;
      if (!(v >= 0 && v <= 1)) throw new LabelIssueError(`row ${r}: probabilities must be in [0, 1]`);
      s += v;
    }
    if (Math.abs(s - 1) > 0.01) throw new LabelIssueError(`row ${r}: probabilities sum to ${s.toFixed(3)}, not 1`);
  }

  // 1. Thresholds.
  const count = new Float64Array(k);
  const sum = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const y = labels[r] as number;
    count[y] = (count[y] as number) + 1;
    sum[y] = (sum[y] as number) + ((probs[r] as ArrayLike<number>)[y] as number);
  }
  const thresholds = Array.from(count, (c, j) => (c > 0 ? (sum[j] as number) / c : Number.POSITIVE_INFINITY));

  // 2. Confident joint.
  const c = Array.from({ length: k }, () => new Float64Array(k));
  for (let r = 0; r < n; r++) {
    const p = probs[r] as ArrayLike<number>;
    let best = -1;
    for (let j = 0; j < k; j++) if ((p[j] as number) >= (thresholds[j] as number) && (best < 0 || (p[j] as number) > (p[best] as number))) best = j;
    if (best >= 0) {
      const row = c[labels[r] as number] as Float64Array;
      row[best] = (row[best] as number) + 1;
    }
  }

  // 3. Calibrate rows to the label counts, normalise to a joint.
  const q = c.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return Array.from(row, (v) => (total > 0 ? (v / total) * (count[i] as number) : 0));
  });
  const mass = q.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  const joint = q.map((row) => row.map((v) => (mass > 0 ? v / mass : 0)));
  let trace = 0;
  for (let i = 0; i < k; i++) trace += (joint[i] as number[])[i] as number;
  const estimatedErrors = n * (1 - trace);

  // 4. Prune by noise rate.
  const byLabel: number[][] = Array.from({ length: k }, () => []);
  for (let r = 0; r < n; r++) (byLabel[labels[r] as number] as number[]).push(r);
  const flagged = new Uint8Array(n);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      const m = Math.round(n * ((joint[i] as number[])[j] as number));
      if (m <= 0) continue;
      const rows = (byLabel[i] as number[])
        .map((r) => ({ r, margin: ((probs[r] as ArrayLike<number>)[j] as number) - ((probs[r] as ArrayLike<number>)[i] as number) }))
        .sort((a, b) => b.margin - a.margin);
      for (let t = 0; t < Math.min(m, rows.length); t++) flagged[(rows[t] as { r: number }).r] = 1;
    }
  const selfConfidence = new Float64Array(n);
  const ranked: number[] = [];
  for (let r = 0; r < n; r++) {
    const p = probs[r] as ArrayLike<number>;
    const y = labels[r] as number;
    selfConfidence[r] = p[y] as number;
    if (flagged[r] === 0) continue;
    let argmax = 0;
    for (let j = 1; j < k; j++) if ((p[j] as number) > (p[argmax] as number)) argmax = j;
    if (argmax !== y) ranked.push(r);
  }
  ranked.sort((a, b) => (selfConfidence[a] as number) - (selfConfidence[b] as number) || a - b);
  return { ranked, joint, estimatedErrors, thresholds, selfConfidence };
}
