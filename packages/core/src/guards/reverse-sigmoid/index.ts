/**
 * reverse-sigmoid: a deterministic perturbation of the scores (Lee et al. 2019) that keeps the
 * model's top-1 label. It spends no privacy budget and promises no ε: it makes scores misleading
 * to a clone trained on them (the perturbation inverts the sigmoid around the model's own
 * confidence), and, being deterministic, cannot be averaged away. Measured in docs/privacy.md.
 */
import { disclose } from '../../disclosure.js';
import { type Infer, s } from '../../policy/schema.js';
import { reverseSigmoid as perturb } from '../../privacy/mechanisms.js';
import type { Guard, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  beta: s.doc(s.default(s.number({ gt: 0, max: 10 }), 1), 'strength of the perturbation (β)'),
  gamma: s.doc(s.default(s.number({ gt: 0, max: 100 }), 1), 'slope of the inverted sigmoid (γ)'),
});

export type ReverseSigmoidOptions = Infer<typeof schema>;

/**
 * Creates the reverse-sigmoid guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [reverseSigmoid({ beta: 1, gamma: 1 })] })
 * ```
 */
export const reverseSigmoid = defineGuard({
  use: 'reverse-sigmoid',
  description: 'Deterministic score perturbation that keeps the top-1 label (Lee et al. 2019)',
  schema,
  create(o): Guard<unknown, Prediction[]> {
    // Disclosure: scores of every class, perturbed without a formal bound: weighed as raw.
    const disclosure = disclose.raw();
    return {
      name: 'reverse-sigmoid',
      maxDisclosure: disclosure,
      afterInference(ctx) {
        const out = ctx.output;
        if (!Array.isArray(out)) throw new TypeError('reverse-sigmoid expects an array of predictions');
        const value = out.map((p) => (p.scores === undefined ? { label: p.label } : { label: p.label, scores: perturb(p.scores, p.label, o.beta, o.gamma) }));
        return { action: 'modify', code: 'output_reverse_sigmoid', message: 'scores perturbed (reverse sigmoid)', value, disclosure };
      },
    };
  },
});
