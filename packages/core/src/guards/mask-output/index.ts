/**
 * mask-output: reduce what each prediction reveals. Rounding and top-k raise the cost of model
 * extraction and of confidence-based membership inference; label-only answers remove scores
 * entirely. They are heuristics, not guarantees: label-only membership attacks still work (see
 * docs/threat-model.md). The predicted label is always the model's own.
 */
import { parseOptions } from '../../policy/schema.js';
import type { Guard, GuardMode, OutputForm, Prediction } from '../../types.js';
import { maskOutputSchema } from './schema.js';

export interface MaskOutputOptions {
  /** `label`: no scores; `top-k`: keep the k highest scores, zero the rest; `rounded`: round every score. */
  readonly form: Exclude<OutputForm, 'raw'>;
  /** Scores kept by `top-k` (default 1). */
  readonly k?: number;
  /** Decimal places for `rounded` (default 2), and for `top-k` when set. */
  readonly decimals?: number;
  readonly mode?: GuardMode;
  readonly onError?: 'deny' | 'allow';
}

/**
 * Creates the mask-output guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [maskOutput({ form: 'top-k', k: 1, decimals: 2 })] })
 * ```
 * @throws {ConfigError} on invalid options (e.g. `k` < 1).
 */
export function maskOutput(options: MaskOutputOptions): Guard<unknown, Prediction[]> {
  const o = parseOptions(maskOutputSchema, options, 'maskOutput options');
  const form = o.form;
  const k = o.k ?? 1;
  const decimals = o.decimals ?? (form === 'rounded' ? 2 : undefined);
  const scale = decimals === undefined ? 0 : 10 ** decimals;
  const round = (x: number): number => (scale === 0 ? x : Math.round(x * scale) / scale);
  const message = form === 'label' ? 'scores removed' : form === 'top-k' ? `kept top ${k} scores` : `scores rounded to ${decimals} decimals`;
  const attributes = { 'bulwark.mask.form': form };

  function maskRow(p: Prediction): Prediction {
    if (form === 'label' || p.scores === undefined) return { label: p.label };
    if (form === 'rounded') return { label: p.label, scores: p.scores.map(round) };
    // top-k: the k largest by value, ties broken by index so the result is deterministic.
    const order = p.scores.map((_, i) => i).sort((a, b) => (p.scores?.[b] ?? 0) - (p.scores?.[a] ?? 0) || a - b);
    const keep = new Set(order.slice(0, k));
    return { label: p.label, scores: p.scores.map((s, i) => (keep.has(i) ? round(s) : 0)) };
  }

  return {
    name: 'mask-output',
    mode: o.mode,
    onError: o.onError,
    afterInference(ctx) {
      const out = ctx.output;
      if (!Array.isArray(out)) throw new TypeError('mask-output expects an array of predictions');
      return { action: 'modify', code: `output_${form.replace('-', '_')}`, message, value: out.map(maskRow), outputForm: form, attributes };
    },
  };
}
