/**
 * risk-response: turn what detectors see into what the caller gets. Detectors (ood,
 * near-duplicates, extraction-detection, or your own) write the per-call risk signal (`riskKey`, in
 * [0, 1]); this guard adds it to the caller's persisted risk (points in the detector store that
 * halve every `halfLifeMs`) and answers by the level reached:
 *
 *   full → rounded → top-1 → label → tighten → deny (caller_blocked, with Retry-After until it decays)
 *
 * where `tighten` answers labels only and also divides the caller's budget by `tightenBy` (a
 * budget created with `tightenOnRisk: true`, listed after this guard, reads the signal), so a
 * caller that keeps probing runs out of queries long before it runs out of patience.
 * so a flood of probing queries gets answers that are worth less and less, then none, while a
 * caller who tripped a detector once is back to full answers within the hour. Every response is a
 * decision (`risk_rounded`, `risk_top_1`, …) with the caller's points on the span.
 *
 * List it first: it refuses a blocked caller before any other guard runs, shapes the answer by the
 * points the caller had when the call began, and adds what the call's detectors found in `settle`,
 * so a call a detector refused still counts. Detectors in `monitor` mode do not raise the signal,
 * so a dry run changes nobody's answers.
 */

import { detectorStore, detectorStoreOptions, storeFailure, updateStore, updateThen } from '../../detection/store.js';
import { type Disclosure, disclose } from '../../disclosure.js';
import { ConfigError } from '../../errors.js';
import { type Infer, s } from '../../policy/schema.js';
import { budgetTighteningKey, riskKey } from '../../signals.js';
import type { DetectorResult } from '../../stores/detector.js';
import type { Guard, GuardContext, GuardVerdict, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const RESPONSES = ['rounded', 'top-1', 'label', 'tighten', 'deny'] as const;
type Response = (typeof RESPONSES)[number];

const schema = s.object({
  levels: s.doc(
    s.default(
      s.array(
        s.object({
          at: s.doc(s.number({ gt: 0, max: 1e6 }), 'risk points from which this response applies'),
          respond: s.doc(s.enumOf(RESPONSES), 'rounded, top-1, label, tighten (labels and a tighter budget) or deny'),
        }),
        { minItems: 1, maxItems: 8 },
      ),
      // One detection (2 points) rounds answers for about a half-life; a few in a row take the
      // scores away; six close together refuse the caller until its points decay below 12.
      [
        { at: 1, respond: 'rounded' },
        { at: 3, respond: 'top-1' },
        { at: 6, respond: 'label' },
        { at: 12, respond: 'deny' },
      ],
    ),
    'responses by risk points, in increasing order',
  ),
  pointsPerSignal: s.doc(s.default(s.number({ gt: 0, max: 100 }), 2), 'points added for a call whose risk signal is 1 (scaled by the signal)'),
  halfLifeMs: s.doc(s.default(s.int({ min: 1000, max: 2_592_000_000 }), 600_000), "time for a caller's risk points to halve"),
  decimals: s.doc(s.default(s.int({ min: 0, max: 6 }), 1), 'decimal places of rounded answers'),
  tightenBy: s.doc(
    s.default(s.number({ min: 1, max: 1_000_000 }), 10),
    "at the tighten level, what the caller's budget limits are divided by (a budget with tightenOnRisk reads it)",
  ),
  ...detectorStoreOptions,
});

export type RiskResponseOptions = Infer<typeof schema>;

const POINTS = Symbol('risk-response.points');
const RISK_KEY = 'risk';

/**
 * Creates the risk-response guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [nearDuplicates({ range: [0, 255] }), riskResponse({ levels: [{ at: 2, respond: 'label' }, { at: 6, respond: 'deny' }] })] })
 * ```
 */
export const riskResponse = defineGuard({
  use: 'risk-response',
  description: "Answer by the caller's risk (raised by detectors, decaying with time): rounded, top-1, label only, then refused",
  schema,
  create(o, context): Guard<unknown, Prediction[]> {
    const levels = [...o.levels];
    for (let i = 1; i < levels.length; i++)
      if (
        (levels[i]?.at as number) <= (levels[i - 1]?.at as number) ||
        RESPONSES.indexOf(levels[i]?.respond as Response) <= RESPONSES.indexOf(levels[i - 1]?.respond as Response)
      )
        throw new ConfigError(
          [
            {
              path: `levels[${i}]`,
              rule: 'levels must rise in points and in severity (rounded, top-1, label, tighten, deny)',
              received: JSON.stringify(levels[i]),
            },
          ],
          'risk-response options',
        );
    const store = detectorStore(o.store, context, 'risk-response');
    const denyAt = levels.find((l) => l.respond === 'deny')?.at;
    const levelOf = (points: number): Response | undefined => {
      let r: Response | undefined;
      for (const l of levels) if (points >= l.at) r = l.respond as Response;
      return r;
    };
    const scale = 10 ** o.decimals;
    const round = (x: number) => Math.round(x * scale) / scale;

    /** The caller's points as the call starts, from a decay op that adds nothing (kept for afterInference). */
    function pointsOf(ctx: GuardContext<unknown, Prediction[]>, results: readonly DetectorResult[]): number {
      const r = results[0];
      const value = r?.kind === 'decay' ? r.value : 0;
      ctx.state.set(POINTS, value);
      return value;
    }

    /** The verdict for the caller's points as the call starts. */
    function respond(p: number): GuardVerdict<never> | undefined {
      const level = levelOf(p);
      if (level === 'deny') return blocked(p);
      if (level !== 'tighten') return undefined;
      // Recorded as a decision of its own; the budget that reads the signal enforces it.
      return {
        action: 'flag',
        code: 'risk_budget_tightened',
        message: `the caller's budget is divided by ${o.tightenBy} by its risk`,
        signals: [budgetTighteningKey.of(o.tightenBy)],
        attributes: { 'bulwark.risk.points': Math.round(p * 100) / 100, 'bulwark.risk.level': 'tighten' },
      };
    }

    function blocked(p: number): GuardVerdict<never> {
      // Seconds until the points decay below the deny level.
      const seconds = denyAt === undefined ? undefined : Math.max(1, Math.ceil(((o.halfLifeMs / 1000) * Math.log(p / denyAt)) / Math.LN2));
      return {
        action: 'deny',
        code: 'caller_blocked',
        message: 'too many of this caller’s recent queries looked like an attack; try again later',
        attributes: { 'bulwark.risk.points': Math.round(p * 100) / 100, 'bulwark.risk.level': 'deny' },
        ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }),
      };
    }

    return {
      name: 'risk-response',
      // Read in settle, so the detectors may come after it: listed first, it refuses a blocked
      // caller before anything else runs, and still learns what a refused call's detectors found.
      signals: { settles: [riskKey], writes: [budgetTighteningKey] },
      beforeInference(ctx) {
        const read = [{ kind: 'decay', key: RISK_KEY, add: 0, halfLifeMs: o.halfLifeMs }] as const;
        return updateThen(
          store,
          ctx.principal.hash,
          read,
          o.storeTimeoutMs,
          (results) => respond(pointsOf(ctx, results)),
          (err) => storeFailure(err, o.onStoreError, 'risk assessment'),
        );
      },
      afterInference(ctx) {
        const p = ctx.state.get(POINTS) as number | undefined;
        if (p === undefined) return undefined;
        const found = levelOf(p);
        if (found === undefined) return undefined;
        if (found === 'deny') return blocked(p);
        // A tightened caller's answers are labels only, as at the level below.
        const level = found === 'tighten' ? 'label' : found;
        const out = ctx.output;
        if (!Array.isArray(out)) return undefined;
        let value: Prediction[];
        let disclosure: Disclosure;
        if (level === 'label') {
          value = out.map((x) => ({ label: x.label }));
          disclosure = disclose.label();
        } else if (level === 'top-1') {
          value = out.map((x) => (x.scores ? { label: x.label, scores: x.scores.map((v, i) => (i === x.label ? round(v) : 0)) } : x));
          disclosure = disclose.topK(1, o.decimals);
        } else {
          value = out.map((x) => (x.scores ? { label: x.label, scores: x.scores.map(round) } : x));
          disclosure = disclose.rounded(o.decimals);
        }
        return {
          action: 'modify',
          code: `risk_${level.replace('-', '_')}`,
          message: `answer reduced to ${level} by the caller's risk`,
          value,
          disclosure,
          attributes: { 'bulwark.risk.points': Math.round(p * 100) / 100, 'bulwark.risk.level': found },
        };
      },
      /** Adds what this call's detectors found (the risk signal, 0 to 1) to the caller's points, refused call or not. */
      settle(ctx) {
        const signal = Math.min(1, Math.max(0, ctx.get(riskKey) ?? 0));
        if (signal <= 0) return undefined;
        const r = updateStore(
          store,
          ctx.principal.hash,
          [{ kind: 'decay', key: RISK_KEY, add: signal * o.pointsPerSignal, halfLifeMs: o.halfLifeMs }],
          o.storeTimeoutMs,
        );
        return Array.isArray(r) ? undefined : r.then(() => undefined);
      },
    };
  },
});
