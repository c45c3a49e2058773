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
 *
 * `callerRate` (opt-in) also tests each caller's share of anomalous rows over a long half-life
 * (a day by default), counted in the detector store: honest rows are anomalous at about
 * `targetFpr`, so a caller whose decayed count of anomalous rows exceeds a Bernstein bound for that
 * rate at level `alpha` is sending something else (synthetic probes), however slowly it sends
 * them. Risk points decay within minutes; this count does not, which is what stops an attacker who
 * paces its queries to let its risk decay between calls.
 */

import { labelOnlyRows } from '../../detection/degrade.js';
import { detectorStore, detectorStoreOptions, storeFailure, updateThen } from '../../detection/store.js';
import { ConfigError } from '../../errors.js';
import { type Infer, s } from '../../policy/schema.js';
import { profileFor, profileOption, rowsProblem } from '../../profile/for-guard.js';
import { CALIBRATED_FPRS, type CalibratedFpr, type ScoreName } from '../../profile/profile.js';
import { RowScorer } from '../../profile/scores.js';
import { riskKey } from '../../signals.js';
import type { DetectorOp, DetectorResult } from '../../stores/detector.js';
import type { Guard, GuardContext, GuardVerdict, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  profile: profileOption,
  scores: s.doc(s.default(s.array(s.enumOf(['mahalanobis', 'robust-z'] as const), { minItems: 1, maxItems: 2 }), ['mahalanobis']), 'which scores to compute'),
  targetFpr: s.doc(s.default(s.number({ gt: 0, max: 0.1 }), 0.01), `share of benign rows flagged: one of ${CALIBRATED_FPRS.join(', ')}`),
  action: s.doc(
    s.default(s.enumOf(['flag', 'degrade', 'deny'] as const), 'degrade'),
    'flag: record; degrade: label-only answer for the row; deny: refuse the call',
  ),
  callerRate: s.doc(
    s.optional(
      s.object({
        halfLifeMs: s.doc(s.default(s.int({ min: 60_000, max: 2_592_000_000 }), 86_400_000), "half-life of the caller's row counts"),
        alpha: s.doc(s.default(s.number({ gt: 0, max: 0.01 }), 1e-6), 'chance that an honest caller (anomalous at targetFpr) is refused'),
        action: s.doc(s.default(s.enumOf(['deny', 'flag'] as const), 'deny'), 'deny: refuse with attack_suspected; flag: record and raise risk'),
      }),
    ),
    "test each caller's share of anomalous rows over a long half-life (needs a detector store)",
  ),
  ...detectorStoreOptions,
});

export type OodOptions = Infer<typeof schema>;

const ROWS = Symbol('ood.rows');

/**
 * Whether `k` anomalous rows of `n` (decayed counts) are more than honest rows anomalous at rate
 * `p` would give, except with probability `alpha`: Bernstein's inequality for a sum of Bernoulli
 * variables with weights at most 1 (decay only lowers the variance), k − np > t where
 * t = L/3 + √(L²/9 + 2L·np(1 − p)), L = ln(1/alpha).
 */
export function anomalyRateExceeded(k: number, n: number, p: number, alpha: number): boolean {
  const l = Math.log(1 / alpha);
  const t = l / 3 + Math.sqrt((l * l) / 9 + 2 * l * n * p * (1 - p));
  return k - n * p > t;
}

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
    const rate = o.callerRate;
    const store = rate === undefined ? undefined : detectorStore(o.store, context, 'ood');

    /** How far past its threshold the row is (≥ 1 when anomalous), by the worst score. */
    function excess(row: ArrayLike<number>): number {
      let worst = 0;
      if (useMahalanobis >= 0) worst = scorer.mahalanobis(row) / (thresholds[useMahalanobis] as number);
      if (useRobust >= 0) worst = Math.max(worst, scorer.robustZ(row) / (thresholds[useRobust] as number));
      return worst;
    }

    /** The call's anomalous rows (undefined: none) and the worst excess. */
    function scan(rows: readonly ArrayLike<number>[]): { anomalous: number[] | undefined; worst: number } {
      let anomalous: number[] | undefined;
      let worst = 0;
      for (let i = 0; i < rows.length; i++) {
        const e = excess(rows[i] as ArrayLike<number>);
        if (e > 1) {
          anomalous ??= [];
          anomalous.push(i);
        }
        if (e > worst) worst = e;
      }
      return { anomalous, worst };
    }

    /** The verdict on the call's own rows. */
    function rowsVerdict(ctx: GuardContext<ArrayLike<number>[], Prediction[]>, found: ReturnType<typeof scan>): GuardVerdict<never> | undefined {
      const { anomalous, worst } = found;
      const rows = ctx.input;
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
    }

    return {
      name: 'ood',
      signals: { writes: [riskKey] },
      beforeInference(ctx) {
        const shape = rowsProblem(ctx.input, d);
        if (shape) return { action: 'deny', code: 'invalid_input', ...shape };
        const found = scan(ctx.input);
        if (store === undefined || rate === undefined) return rowsVerdict(ctx, found);
        // Count first, then judge: the caller's test sees this call's rows too.
        const ops: DetectorOp[] = [
          { kind: 'decay', key: 'ood:rows', add: ctx.input.length, halfLifeMs: rate.halfLifeMs },
          { kind: 'decay', key: 'ood:anomalous', add: found.anomalous?.length ?? 0, halfLifeMs: rate.halfLifeMs },
        ];
        const judge = (r: DetectorResult[]): GuardVerdict<never> | undefined => {
          const n = r[0]?.kind === 'decay' ? r[0].value : 0;
          const k = r[1]?.kind === 'decay' ? r[1].value : 0;
          if (!anomalyRateExceeded(k, n, o.targetFpr, rate.alpha)) return rowsVerdict(ctx, found);
          const message = "the caller's rows are far from the training data far more often than honest traffic's";
          const attributes = { 'bulwark.ood.caller_rows': Math.round(n), 'bulwark.ood.caller_anomalous': Math.round(k) };
          const signals = [riskKey.of(1)];
          if (rate.action === 'deny') return { action: 'deny', code: 'attack_suspected', message, attributes, signals };
          // Flag the caller; the call's own rows are still judged (refused, or degraded in afterInference).
          const own = rowsVerdict(ctx, found);
          return own?.action === 'deny' ? own : { action: 'flag', code: 'attack_suspected', message, attributes, signals };
        };
        return updateThen(store, ctx.principal.hash, ops, o.storeTimeoutMs, judge, (err) => storeFailure(err, o.onStoreError, 'the ood caller rate'));
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
