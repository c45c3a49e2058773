/**
 * ood: notice rows far from the training data (out of distribution), one request at a time.
 * Evasion inputs and synthetic extraction probes rarely look like real traffic: uniformly random
 * queries in the feature box, which data-free extraction sends, score far above benign rows.
 *
 * Scores (see profile/scores.ts): Mahalanobis distance (default) and the largest robust z. Each is
 * compared with its threshold calibrated in the profile for `targetFpr` (out of fold, at 95%
 * confidence), so about that share of benign rows is flagged, and no more. With several scores a
 * row is anomalous when any exceeds its threshold: the false-positive rates add up.
 *
 * What happens to an anomalous row (`action`):
 *   flag     record it (decision, span) and raise the caller's risk; answer as usual
 *   degrade  answer it with the label only (no scores to learn from), the rest of the batch as usual
 *   deny     refuse the call with `anomalous_input` (422), naming the row, never its values
 * Anomalous rows raise the caller's risk signal (`riskKey`) for later guards, by how far past the
 * threshold the worst one is and by the share of the call's rows that are anomalous.
 */

import { labelOnlyRows } from '../../detection/degrade.js';
import { ConfigError } from '../../errors.js';
import { type Infer, s } from '../../policy/schema.js';
import { profileFor, profileOption, rowsProblem } from '../../profile/for-guard.js';
import { CALIBRATED_FPRS, type CalibratedFpr, type ScoreName } from '../../profile/profile.js';
import { RowScorer } from '../../profile/scores.js';
import { riskKey } from '../../signals.js';
import type { Guard, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  profile: profileOption,
  scores: s.doc(s.default(s.array(s.enumOf(['mahalanobis', 'robust-z'] as const), { minItems: 1, maxItems: 2 }), ['mahalanobis']), 'which scores to compute'),
  targetFpr: s.doc(s.default(s.number({ gt: 0, max: 0.1 }), 0.01), `share of benign rows flagged: one of ${CALIBRATED_FPRS.join(', ')}`),
  action: s.doc(
    s.default(s.enumOf(['flag', 'degrade', 'deny'] as const), 'degrade'),
    'flag: record; degrade: label-only answer for the row; deny: refuse the call',
  ),
});

export type OodOptions = Infer<typeof schema>;

const ROWS = Symbol('ood.rows');

/**
 * Creates the ood guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [ood({ profile: 'fraud.profile.json', targetFpr: 0.01, action: 'deny' })] })
 * ```
 */
export const ood = defineGuard({
  use: 'ood',
  description: 'Flag, degrade or refuse rows far from the training data (Mahalanobis, robust z; needs a profile)',
  schema,
  create(o, context): Guard<ArrayLike<number>[], Prediction[]> {
    const profile = profileFor(o.profile, context, 'ood');
    const fpr = String(o.targetFpr) as CalibratedFpr;
    const scoreNames = [...new Set(o.scores)] as ScoreName[];
    const thresholds = scoreNames.map((name) => {
      const t = (CALIBRATED_FPRS as readonly string[]).includes(fpr) ? profile.calibration.thresholds[name][fpr] : undefined;
      if (t === undefined || t === null)
        throw new ConfigError(
          [
            {
              code: 'invalid_value',
              path: 'targetFpr',
              rule:
                t === null
                  ? `the profile has too few rows (${profile.calibration.n}) to calibrate ${name} at this rate: choose a larger rate or profile more data`
                  : `must be one of ${CALIBRATED_FPRS.join(', ')}`,
              received: String(o.targetFpr),
            },
          ],
          'ood options',
        );
      return t;
    });
    const d = profile.features.length;
    const scorer = new RowScorer(profile.scorer);
    const useMahalanobis = scoreNames.indexOf('mahalanobis');
    const useRobust = scoreNames.indexOf('robust-z');
    const label = `${scoreNames.join('+')} above the threshold for a ${o.targetFpr} false-positive rate`;

    /** How far past its threshold the row is (≥ 1 when anomalous), by the worst score. */
    function excess(row: ArrayLike<number>): number {
      let worst = 0;
      if (useMahalanobis >= 0) worst = scorer.mahalanobis(row) / (thresholds[useMahalanobis] as number);
      if (useRobust >= 0) worst = Math.max(worst, scorer.robustZ(row) / (thresholds[useRobust] as number));
      return worst;
    }

    return {
      name: 'ood',
      signals: { writes: [riskKey] },
      beforeInference(ctx) {
        const shape = rowsProblem(ctx.input, d);
        if (shape) return { action: 'deny', code: 'invalid_input', ...shape };
        let anomalous: number[] | undefined;
        let worst = 0;
        const rows = ctx.input;
        for (let i = 0; i < rows.length; i++) {
          const e = excess(rows[i] as ArrayLike<number>);
          if (e > 1) {
            anomalous ??= [];
            anomalous.push(i);
          }
          if (e > worst) worst = e;
        }
        if (anomalous === undefined) return undefined;
        // Just past the threshold: risk 0.5; twice the threshold or more: 1; scaled by the share of
        // the call's rows that are anomalous, so an honest batch with its expected 1% of outliers
        // barely moves the caller's risk while a batch of probes raises it fully.
        const risk = Math.min(1, 0.5 * worst) * (anomalous.length / rows.length);
        const attributes = { 'bulwark.ood.rows': anomalous.length, 'bulwark.ood.excess': Math.round(worst * 100) / 100 };
        const signals = [riskKey.of(risk)];
        const first = anomalous[0] as number;
        const message = `${anomalous.length} of ${rows.length} row(s) far from the training data (${label}), first: row ${first}`;
        if (o.action === 'deny') return { action: 'deny', code: 'anomalous_input', message, path: `inputs[${first}]`, attributes, signals };
        if (o.action === 'degrade') ctx.state.set(ROWS, anomalous);
        return { action: 'flag', code: 'anomalous_input', message, attributes, signals };
      },
      afterInference(ctx) {
        const rows = ctx.state.get(ROWS) as number[] | undefined;
        const out = ctx.output;
        if (rows === undefined || !Array.isArray(out)) return undefined;
        return {
          action: 'modify',
          code: 'output_degraded',
          message: `${rows.length} anomalous row(s) answered with the label only`,
          value: labelOnlyRows(out, rows),
        };
      },
    };
  },
});
