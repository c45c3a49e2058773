/**
 * mask-output: reduce what each prediction reveals. Rounding and top-k raise the cost of model
 * extraction and of confidence-based membership inference; label-only answers remove scores
 * entirely. They are heuristics, not guarantees: label-only membership attacks still work, and
 * rounding can even help a low-FPR membership attack (see docs/robustness.md). The predicted label
 * is always the model's own.
 */
import { type Disclosure, disclose } from '../../disclosure.js';
import { type Infer, s } from '../../policy/schema.js';
import type { Guard, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  /** `label`: no scores; `top-k`: keep the k highest scores, zero the rest; `rounded`: round every score. */
  form: s.doc(s.enumOf(['label', 'top-k', 'rounded'] as const), 'label: no scores; top-k: the k highest, the rest zeroed; rounded: every score rounded'),
  /** Scores kept by `top-k`. */
  k: s.doc(s.default(s.int({ min: 1, max: 1000 }), 1), 'scores kept by top-k'),
  /** Decimal places for `rounded` (default 2), and for `top-k` when set. */
  decimals: s.doc(s.optional(s.int({ min: 0, max: 8 })), 'decimal places: 2 for rounded by default; top-k rounds only when set'),
});

export type MaskOutputOptions = Infer<typeof schema>;

/**
 * Creates the mask-output guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [maskOutput({ form: 'top-k', k: 1, decimals: 2 })] })
 * ```
 * @throws {ConfigError} on invalid options (e.g. `k` < 1).
 */
export const maskOutput = defineGuard({
  use: 'mask-output',
  description: 'Reduce what each prediction reveals: labels only, top-k scores, or rounded scores',
  schema,
  create(o): Guard<unknown, Prediction[]> {
    const { form, k } = o;
    const decimals = o.decimals ?? (form === 'rounded' ? 2 : undefined);
    const scale = decimals === undefined ? 0 : 10 ** decimals;
    const round = (x: number): number => (scale === 0 ? x : Math.round(x * scale) / scale);
    const disclosure: Disclosure = form === 'label' ? disclose.label() : form === 'top-k' ? disclose.topK(k, decimals) : disclose.rounded(decimals ?? 2);
    const message = form === 'label' ? 'scores removed' : form === 'top-k' ? `kept top ${k} scores` : `scores rounded to ${decimals} decimals`;
    const code = `output_${form.replace('-', '_')}`;
    const attributes = Object.freeze({ 'bulwark.mask.form': form });

    function maskRow(p: Prediction): Prediction {
      if (form === 'label' || p.scores === undefined) return { label: p.label };
      if (form === 'rounded') return { label: p.label, scores: p.scores.map(round) };
      // top-k: the k largest by value, ties broken by index so the result is deterministic.
      const order = p.scores.map((_, i) => i).sort((a, b) => (p.scores?.[b] ?? 0) - (p.scores?.[a] ?? 0) || a - b);
      const keep = new Set(order.slice(0, k));
      return { label: p.label, scores: p.scores.map((v, i) => (keep.has(i) ? round(v) : 0)) };
    }

    return {
      name: 'mask-output',
      maxDisclosure: disclosure,
      afterInference(ctx) {
        const out = ctx.output;
        if (!Array.isArray(out)) throw new TypeError('mask-output expects an array of predictions');
        return { action: 'modify', code, message, value: out.map(maskRow), disclosure, attributes };
      },
    };
  },
});
