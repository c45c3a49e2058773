/**
 * dp-noise: differentially private scores. Each answer's scores are clamped, put on a 2^-20
 * grid and given exact discrete Laplace (ε-DP) or discrete Gaussian (ρ-zCDP) noise, or reduced to
 * a label chosen by report-noisy-max; the noise is drawn ahead of time (never on the request) and,
 * by default, is the same for the same caller asking the same (quantised) question, so repeating
 * a query to average the noise away gains nothing. Every noised row is paid for in the privacy
 * ledger, per caller and globally, before the answer leaves; an answer that does not leave is
 * refunded. See docs/privacy.md for what ε promises here and what it does not.
 */
import { type Disclosure, disclose } from '../../disclosure.js';
import { ConfigError, isBulwarkError } from '../../errors.js';
import { PrivacyLedger, type Reservation } from '../../ledger/privacy-ledger.js';
import { type Infer, s } from '../../policy/schema.js';
import { argmax, gaussianScale, laplaceScale, type NoiseScale, releaseNoisyMax, releaseScores } from '../../privacy/mechanisms.js';
import { ConsistentNoise, NoisePool, quantiseRow } from '../../privacy/noise-source.js';
import { namedBudgetStore } from '../../stores/named.js';
import { type BudgetStore, isBudgetStore } from '../../stores/types.js';
import type { Guard, GuardContext, GuardVerdict, Prediction } from '../../types.js';
import { PERIOD_MS, type PeriodName } from '../../util/periods.js';
import { defineGuard } from '../define.js';

const amount = s.number({ min: 0, max: 1e9 });
const privacyBudget = s.object({
  lifetime: s.doc(s.optional(amount), 'total for the life of the ledger, never resets'),
  periods: s.doc(
    s.optional(s.array(s.object({ budget: amount, per: s.enumOf(Object.keys(PERIOD_MS) as [PeriodName, ...PeriodName[]]) }), { maxItems: 8 })),
    'budgets per period (minute, hour, day, month)',
  ),
});

const schema = s.object({
  mechanism: s.doc(
    s.default(s.enumOf(['laplace', 'gaussian', 'noisy-max'] as const), 'laplace'),
    'laplace: ε-DP scores; gaussian: ρ-zCDP scores; noisy-max: a label chosen by report-noisy-max, no scores',
  ),
  epsilon: s.doc(s.optional(s.number({ gt: 0, max: 1000 })), 'ε per answered row (laplace, noisy-max)'),
  rho: s.doc(s.optional(s.number({ gt: 0, max: 1000 })), 'ρ per answered row (gaussian)'),
  sensitivity: s.doc(
    s.optional(s.number({ gt: 0, max: 2 })),
    'how far two neighbouring answers can be (L1 for laplace, L2 for gaussian); default: the whole range (1 for two classes, where one score is noised; 2 (L1) or √2 (L2) otherwise)',
  ),
  noise: s.doc(
    s.optional(s.enumOf(['consistent', 'fresh'] as const)),
    'consistent (default for laplace and noisy-max): the same caller asking the same quantised row gets the same noise; fresh (gaussian): new noise every answer, drawn ahead of time',
  ),
  quantiseBits: s.doc(s.default(s.int({ min: 1, max: 52 }), 12), 'significant bits of each feature kept when keying consistent noise'),
  poolSize: s.doc(s.default(s.int({ min: 64, max: 2 ** 24 }), 2 ** 16), 'samples kept ready for fresh noise'),
  secret: s.doc(
    s.optional(s.string({ maxLength: 512 })),
    'keys the consistent-noise PRF, so replicas answer alike (default: BULWARK_NOISE_SECRET, else random per process); set principalSecret alike',
  ),
  keepLabel: s.doc(
    s.default(s.boolean(), false),
    "keep the model's top-1 label on top (swap scores when the noise moved it): the label is then disclosed in the clear",
  ),
  normalise: s.doc(s.default(s.boolean(), true), 'clamp noised scores to [0, 1] and renormalise them to sum 1 (post-processing, free)'),
  ledger: s.doc(
    s.optional(
      s.object({
        store: s.default(
          s.union(
            s.string({ maxLength: 100 }),
            s.custom((v): v is BudgetStore => isBudgetStore(v), 'must be a BudgetStore'),
            'must name a store, or be a BudgetStore',
          ),
          'memory' as string | BudgetStore,
        ),
        perCaller: privacyBudget,
        global: s.optional(privacyBudget),
      }),
    ),
    'privacy budgets in ε (ρ for gaussian): every noised row reserves its cost before release',
  ),
  onExhausted: s.doc(s.default(s.enumOf(['deny', 'label'] as const), 'deny'), 'when a budget is spent: deny (budget_exhausted) or answer labels only'),
});

export type DpNoiseOptions = Infer<typeof schema>;

const RESERVATION = Symbol('dp-noise reservation');

/** A spent budget, a ledger that cannot answer (it fails closed), noise not ready: refusals with their own codes. */
function refusal(err: unknown, attributes: Record<string, string | number>): GuardVerdict<Prediction[]> {
  if (!isBulwarkError(err)) throw err;
  return {
    action: 'deny',
    code: err.code,
    message: err.message,
    ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
    attributes,
  };
}

function fail(path: string, rule: string, received: string): never {
  throw new ConfigError([{ path, rule, received }], 'dp-noise options');
}

/**
 * Creates the dp-noise guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [dpNoise({ epsilon: 1, keepLabel: true, ledger: { perCaller: { periods: [{ budget: 500, per: 'day' }] } } })] })
 * ```
 * @throws {ConfigError} on invalid options (a missing ε or ρ, an unknown store, consistent Gaussian noise).
 */
export const dpNoise = defineGuard({
  use: 'dp-noise',
  description: 'Differentially private scores (discrete Laplace or Gaussian on a grid, or report-noisy-max), paid for in the privacy ledger',
  schema,
  create(o, context): Guard<number[][], Prediction[]> {
    const gaussian = o.mechanism === 'gaussian';
    const cost = gaussian ? o.rho : o.epsilon;
    if (cost === undefined) fail(gaussian ? 'rho' : 'epsilon', `is required for mechanism ${o.mechanism}`, 'undefined');
    if (gaussian && o.epsilon !== undefined) fail('epsilon', 'gaussian is calibrated by rho (zCDP), not epsilon', String(o.epsilon));
    if (!gaussian && o.rho !== undefined) fail('rho', `${o.mechanism} is calibrated by epsilon, not rho`, String(o.rho));
    const noise = o.noise ?? (gaussian ? 'fresh' : 'consistent');
    if (gaussian && noise === 'consistent') fail('noise', 'the discrete Gaussian is fresh noise only (consistent noise is discrete Laplace)', 'consistent');
    const classes = context.model?.classes;
    const noiseMax = o.mechanism === 'noisy-max';
    // Two classes: noise one score and derive the other (sensitivity 1 instead of 2).
    const coords = noiseMax || classes === 2 ? 1 : (classes ?? 0);
    // By how many scores are noised: one (two classes, or noisy-max per score) has sensitivity 1;
    // a whole probability vector 2 in L1 (√2 in L2).
    const scaleFor = (k: number): NoiseScale => {
      const sensitivity = o.sensitivity ?? (k === 1 ? 1 : gaussian ? Math.SQRT2 : 2);
      // Report-noisy-max with Laplace noise of scale 2Δ/ε is ε-DP (Dwork & Roth, Claim 3.9).
      return gaussian ? gaussianScale(cost, sensitivity, k) : noiseMax ? laplaceScale(cost / 2, sensitivity, 1) : laplaceScale(cost, sensitivity, k);
    };
    // The scale depends on how many scores are noised; unknown class counts are read from the first answer.
    const secret = o.secret ?? process.env.BULWARK_NOISE_SECRET;
    const sources = new Map<number, ConsistentNoise | NoisePool>();
    const sourceFor = (k: number): ConsistentNoise | NoisePool => {
      let src = sources.get(k);
      if (src === undefined) {
        const scale = scaleFor(k);
        src = noise === 'consistent' ? new ConsistentNoise(scale, { secret, random: context.random }) : new NoisePool(scale, o.poolSize, context.random);
        sources.set(k, src);
      }
      return src;
    };
    if (coords > 0) sourceFor(coords); // drawn now, before the first request
    const mechanism = noiseMax ? 'noisy-max' : gaussian ? 'discrete-gaussian' : 'discrete-laplace';
    const disclosure: Disclosure = disclose.noised(mechanism, gaussian ? { rho: cost } : { epsilon: cost });
    const ledger =
      o.ledger === undefined
        ? undefined
        : new PrivacyLedger({
            store: namedBudgetStore(o.ledger.store, context, 'ledger.store', 'dp-noise options'),
            accounting: gaussian ? 'zcdp' : 'pure',
            perCaller: o.ledger.perCaller,
            ...(o.ledger.global === undefined ? {} : { global: o.ledger.global }),
          });
    const costAttr = gaussian ? 'bulwark.privacy.rho' : 'bulwark.privacy.epsilon';

    const post = { normalise: o.normalise, keepLabel: o.keepLabel };
    let scratch = new Float64Array(16);
    let cells = new Float64Array(16);

    function noiseRow(p: Prediction, row: readonly number[] | undefined, caller: string): Prediction {
      const scores = p.scores;
      if (scores === undefined || scores.length === 0) return { label: p.label };
      const k = scores.length;
      const bin = k === 2 && (classes === undefined || classes === 2);
      const n = noiseMax ? k : bin ? 1 : k;
      if (scratch.length < n) scratch = new Float64Array(n);
      const src = sourceFor(noiseMax ? 1 : n);
      if (src instanceof ConsistentNoise) {
        // Keyed by the row: without one, every answer to this caller would share its noise, and
        // differences of answers would give differences of scores exactly. Fail closed instead.
        if (!Array.isArray(row)) throw new TypeError('dp-noise: consistent noise needs the input rows (number[][]); use noise: fresh for other inputs');
        const r = row;
        if (cells.length < r.length) cells = new Float64Array(r.length);
        src.noiseFor(caller, quantiseRow(r, o.quantiseBits, cells.subarray(0, r.length)), n, scratch);
      } else src.take(n, scratch);
      if (noiseMax) return { label: releaseNoisyMax(scores, scratch) };
      const trueLabel = typeof p.label === 'number' ? p.label : argmax(scores);
      return releaseScores(scores, trueLabel, scratch, bin, post);
    }

    function release(
      ctx: GuardContext<number[][], Prediction[]>,
      out: readonly Prediction[],
      attributes: Record<string, string | number>,
    ): GuardVerdict<Prediction[]> {
      const rows = Array.isArray(ctx.input) ? ctx.input : [];
      let value: Prediction[];
      try {
        value = out.map((p, i) => noiseRow(p, rows[i], ctx.principal.hash));
      } catch (err) {
        return refusal(err, attributes);
      }
      return { action: 'modify', code: 'output_noised', message: `scores noised (${mechanism})`, value, disclosure, attributes };
    }

    return {
      name: 'dp-noise',
      maxDisclosure: disclosure,
      afterInference(ctx: GuardContext<number[][], Prediction[]>) {
        const out = ctx.output;
        if (!Array.isArray(out)) throw new TypeError('dp-noise expects an array of predictions');
        const attributes = { 'bulwark.privacy.mechanism': mechanism, [costAttr]: cost, 'bulwark.privacy.rows': out.length };
        // Without a ledger the hook is synchronous (no promise, no timeout timer per call).
        if (ledger === undefined) return release(ctx, out, attributes);
        return ledger.reserve(ctx.principal.hash, cost * out.length).then(
          (reservation) => {
            ctx.state.set(RESERVATION, reservation);
            return release(ctx, out, attributes);
          },
          (err: unknown): GuardVerdict<Prediction[]> => {
            if (o.onExhausted === 'label' && isBulwarkError(err) && err.code === 'budget_exhausted') {
              return {
                action: 'modify',
                code: 'privacy_degraded',
                message: `privacy budget spent: labels only (${err.message})`,
                value: out.map((p) => ({ label: p.label })),
                disclosure: disclose.label(),
                attributes,
              };
            }
            return refusal(err, attributes);
          },
        );
      },
      async settle(ctx, outcome) {
        const r = ctx.state.get(RESERVATION) as Reservation | undefined;
        if (r === undefined) return;
        // Released (or possibly released): spent for good. Nothing left the process: refunded.
        if (outcome.released) r.commit();
        else await r.refund();
      },
      close() {
        for (const src of sources.values()) if (src instanceof NoisePool) src.close();
      },
    };
  },
});
