/**
 * validate-input: refuse rows the model was never meant to see, by the rules of its training data
 * (a profile written by `bulwark profile`): values outside a feature's range, fractions where the
 * feature only took integers, values outside a categorical feature's set. The model's answer there
 * is extrapolation, and a favourite place for evasion (a fraudster's "amount: -1").
 *
 * A refusal is `invalid_input` (422) naming the row, the feature and the rule broken, with the
 * request path (`inputs[2][0]`) — never the value.
 */

import { type Infer, s } from '../../policy/schema.js';
import { profileFor, profileOption, rowsProblem } from '../../profile/for-guard.js';
import type { Guard } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  profile: profileOption,
  /** Allowed overshoot beyond [min, max], as a fraction of the feature's range (0: the training range exactly). */
  tolerance: s.doc(s.default(s.number({ min: 0, max: 100 }), 0), "overshoot allowed beyond the training range, as a fraction of the feature's range"),
  /** Check that integer features get integers. */
  integers: s.doc(s.default(s.boolean(), true), 'integer features must get integers'),
  /** Check that categorical features get one of their values. */
  categories: s.doc(s.default(s.boolean(), true), 'categorical features must get one of their values'),
});

export type ValidateInputOptions = Infer<typeof schema>;

type Rule = 'below_range' | 'above_range' | 'not_integer' | 'not_a_category';
const RULE_TEXT: Record<Rule, string> = {
  below_range: 'below the training range',
  above_range: 'above the training range',
  not_integer: 'must be an integer',
  not_a_category: 'not one of the values seen in training',
};

/**
 * Creates the validate-input guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [validateInput({ profile: 'fraud.profile.json', tolerance: 0.05 })] })
 * ```
 */
export const validateInput = defineGuard({
  use: 'validate-input',
  description: "Refuse rows outside the training data's ranges, integer and categorical features (needs a profile)",
  schema,
  create(o, context): Guard<ArrayLike<number>[], unknown> {
    const profile = profileFor(o.profile, context, 'validate-input');
    const d = profile.features.length;
    const lo = Float64Array.from(profile.features, (f) => f.min - o.tolerance * (f.max - f.min));
    const hi = Float64Array.from(profile.features, (f) => f.max + o.tolerance * (f.max - f.min));
    const integer = profile.features.map((f) => o.integers && f.integer);
    const sets = profile.features.map((f) => (o.categories && f.categories ? new Set(f.categories) : undefined));
    const names = profile.features.map((f) => f.name);

    function check(row: ArrayLike<number>): { feature: number; rule: Rule } | undefined {
      for (let j = 0; j < d; j++) {
        const v = row[j] as number;
        if (!(v >= (lo[j] as number))) return { feature: j, rule: 'below_range' };
        if (!(v <= (hi[j] as number))) return { feature: j, rule: 'above_range' };
        if (integer[j] && !Number.isInteger(v)) return { feature: j, rule: 'not_integer' };
        const set = sets[j];
        if (set && !set.has(v)) return { feature: j, rule: 'not_a_category' };
      }
      return undefined;
    }

    return {
      name: 'validate-input',
      beforeInference(ctx) {
        const shape = rowsProblem(ctx.input, d);
        if (shape) return { action: 'deny', code: 'invalid_input', ...shape };
        const rows = ctx.input;
        for (let i = 0; i < rows.length; i++) {
          const bad = check(rows[i] as ArrayLike<number>);
          if (bad === undefined) continue;
          const name = names[bad.feature] as string;
          return {
            action: 'deny',
            code: 'invalid_input',
            // The feature's name comes from the operator's profile, not from the request.
            message: `row ${i}, feature "${name}": ${RULE_TEXT[bad.rule]}`,
            path: `inputs[${i}][${bad.feature}]`,
            attributes: { 'bulwark.validate.feature': name, 'bulwark.validate.rule': bad.rule },
          };
        }
        return undefined;
      },
    };
  },
});
