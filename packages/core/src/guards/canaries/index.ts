/**
 * canaries: inputs no honest client sends, registered by the operator (a transaction that cannot
 * exist, an image only the operator has seen). A query at or near one is someone replaying what
 * they should not have (a leaked test set, a scraped log) or exploring the input space blindly:
 * the call is refused (or flagged) and the caller's risk signal set to 1 at once.
 *
 * Nearness is Euclidean distance, on features divided by their sd when a profile is given. The
 * answer never says what matched: a message naming a canary would tell an attacker which inputs
 * to avoid.
 */
import { labelOnlyRows } from '../../detection/degrade.js';
import { ConfigError } from '../../errors.js';
import { type Infer, s } from '../../policy/schema.js';
import { profileFor, profileOption, rowsProblem } from '../../profile/for-guard.js';
import { riskKey } from '../../signals.js';
import type { Guard, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  inputs: s.doc(s.array(s.array(s.number(), { minItems: 1, maxItems: 100_000 }), { minItems: 1, maxItems: 10_000 }), 'the canary rows'),
  radius: s.doc(s.default(s.number({ min: 0, max: 1e6 }), 0), 'distance within which a row counts as a canary (0: exactly it)'),
  profile: s.doc(s.optional(profileOption), 'divide features by their sd in this profile before measuring distance'),
  action: s.doc(s.default(s.enumOf(['flag', 'degrade', 'deny'] as const), 'deny'), 'deny (attack_suspected), degrade (label only) or flag'),
});

export type CanariesOptions = Infer<typeof schema>;

const DEGRADE = Symbol('canaries.degrade');

/**
 * Creates the canaries guard.
 *
 * @example
 * ```ts
 * canaries({ inputs: [[9999, 25, 1, 0, 0, 0, 1, 0]], radius: 0.5, profile: 'fraud.profile.json' })
 * ```
 */
export const canaries = defineGuard({
  use: 'canaries',
  description: 'Refuse and raise the risk of callers who send (near) inputs no honest client sends',
  schema,
  create(o, context): Guard<ArrayLike<number>[], Prediction[]> {
    const d = o.inputs[0]?.length ?? 0;
    const bad = o.inputs.findIndex((r) => r.length !== d);
    const model = context.model?.features;
    if (bad >= 0 || (model !== undefined && model !== d))
      throw new ConfigError(
        [
          {
            code: bad >= 0 ? 'invalid_value' : 'model_mismatch',
            path: `inputs[${Math.max(bad, 0)}]`,
            rule: `every canary must have the model's ${model ?? d} features`,
            received: `${o.inputs[Math.max(bad, 0)]?.length} features`,
          },
        ],
        'canaries options',
      );
    const profile = o.profile === undefined ? undefined : profileFor(o.profile, context, 'canaries');
    const inv = Float64Array.from({ length: d }, (_, j) => {
      const sd = profile?.features[j]?.sd ?? 1;
      return sd > 0 ? 1 / sd : 1;
    });
    // Canaries pre-scaled into one flat array: a row costs k·d multiply-adds and no allocation.
    const k = o.inputs.length;
    const flat = new Float64Array(k * d);
    o.inputs.forEach((r, i) => {
      for (let j = 0; j < d; j++) flat[i * d + j] = (r[j] as number) * (inv[j] as number);
    });
    const r2 = o.radius * o.radius;

    function isCanary(row: ArrayLike<number>): boolean {
      for (let i = 0; i < k; i++) {
        let sum = 0;
        for (let j = 0; j < d && sum <= r2; j++) {
          const diff = (row[j] as number) * (inv[j] as number) - (flat[i * d + j] as number);
          sum += diff * diff;
        }
        if (sum <= r2) return true;
      }
      return false;
    }

    return {
      name: 'canaries',
      signals: { writes: [riskKey] },
      beforeInference(ctx) {
        const shape = rowsProblem(ctx.input, d);
        if (shape) return { action: 'deny', code: 'invalid_input', ...shape };
        const hits: number[] = [];
        ctx.input.forEach((row, i) => {
          if (isCanary(row)) hits.push(i);
        });
        if (hits.length === 0) return undefined;
        // Deliberately vague: naming the canary would teach the attacker what to avoid.
        const message = 'the request matches a pattern of abuse';
        const attributes = { 'bulwark.canaries.rows': hits.length };
        const signals = [riskKey.of(1)];
        if (o.action === 'deny') return { action: 'deny', code: 'attack_suspected', message, attributes, signals };
        if (o.action === 'degrade') ctx.state.set(DEGRADE, hits);
        return { action: 'flag', code: 'attack_suspected', message, attributes, signals };
      },
      afterInference(ctx) {
        const rows = ctx.state.get(DEGRADE) as number[] | undefined;
        const out = ctx.output;
        if (rows === undefined || !Array.isArray(out)) return undefined;
        return { action: 'modify', code: 'output_degraded', message: `${rows.length} row(s) answered with the label only`, value: labelOnlyRows(out, rows) };
      },
    };
  },
});
