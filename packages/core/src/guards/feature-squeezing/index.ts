/**
 * feature-squeezing: notice adversarial examples by how much the model's answer moves when the
 * input loses detail it should not need (detection/squeeze.ts). Costs one extra inference of the
 * batch per squeezer; needs the model's inference (`bulwark serve` gives it; in code pass
 * `{ infer }` in the factory context) and the raw scores, so place it before output guards
 * (`mask-output`, `risk-response`).
 *
 * `threshold` is the L1 distance above which a row is flagged: calibrate it on clean rows with
 * `squeezingThreshold()` (or `pnpm detection`, which prints the shipped digits model's) for the
 * false-positive rate you accept. A refusal is `anomalous_input` (422) naming the first row.
 */

import { labelOnlyRows } from '../../detection/degrade.js';
import { type Squeezer, squeezingScores } from '../../detection/squeeze.js';
import { ConfigError } from '../../errors.js';
import { type Infer, s } from '../../policy/schema.js';
import { riskKey } from '../../signals.js';
import type { Guard, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  squeezers: s.doc(
    s.default(
      s.array(
        s.object({
          kind: s.enumOf(['bit-depth', 'median'] as const),
          bits: s.optional(s.int({ min: 1, max: 16 })),
          size: s.optional(s.int({ min: 2, max: 5 })),
        }),
        { minItems: 1, maxItems: 4 },
      ),
      [
        { kind: 'bit-depth', bits: 1 },
        { kind: 'median', size: 2 },
      ],
    ),
    'bit-depth (bits) and median (size) squeezers; each costs one inference',
  ),
  range: s.doc(s.array(s.number(), { minItems: 2, maxItems: 2 }), 'the value range of every feature, e.g. [0, 255]'),
  shape: s.doc(s.optional(s.array(s.int({ min: 1, max: 4096 }), { minItems: 2, maxItems: 2 })), '[height, width] of the image, for median smoothing'),
  threshold: s.doc(s.number({ gt: 0, max: 2 }), 'L1 distance above which a row is flagged (calibrate on clean rows)'),
  action: s.doc(s.default(s.enumOf(['flag', 'degrade', 'deny'] as const), 'deny'), 'flag, degrade (label only) or deny (anomalous_input)'),
});

export type FeatureSqueezingOptions = Infer<typeof schema>;

/**
 * Creates the feature-squeezing guard.
 *
 * @example
 * ```ts
 * featureSqueezing({ range: [0, 16], shape: [8, 8], threshold: 0.9 }, { infer: (rows) => model.predict(rows) })
 * ```
 */
export const featureSqueezing = defineGuard({
  use: 'feature-squeezing',
  description: "Flag adversarial examples: the model's answer moves when the input is squeezed (Xu et al. 2018)",
  schema,
  create(o, context): Guard<number[][], Prediction[]> {
    const issues: { path: string; rule: string; received: string }[] = [];
    const infer = context.infer;
    if (!infer)
      issues.push({ path: '', rule: "needs the model's inference: bulwark serve gives it; in code pass { infer } as the factory context", received: 'none' });
    const squeezers = o.squeezers.map((q, i): Squeezer | undefined => {
      if (q.kind === 'bit-depth' && q.bits !== undefined) return { kind: 'bit-depth', bits: q.bits };
      if (q.kind === 'median' && q.size !== undefined) return { kind: 'median', size: q.size };
      issues.push({ path: `squeezers[${i}]`, rule: q.kind === 'bit-depth' ? 'bit-depth needs bits' : 'median needs size', received: JSON.stringify(q) });
      return undefined;
    });
    const shape = o.shape as [number, number] | undefined;
    if (o.squeezers.some((q) => q.kind === 'median') && shape === undefined)
      issues.push({ path: 'shape', rule: 'median smoothing needs the image shape', received: 'undefined' });
    const d = context.model?.features;
    if (shape && d !== undefined && shape[0] * shape[1] !== d)
      issues.push({ path: 'shape', rule: `height × width must be the model's ${d} features`, received: JSON.stringify(shape) });
    const [lo, hi] = o.range as [number, number];
    if (!(hi > lo)) issues.push({ path: 'range', rule: 'must be [min, max] with max > min', received: JSON.stringify(o.range) });
    if (issues.length > 0) throw new ConfigError(issues, 'feature-squeezing options');
    const opts = { squeezers: squeezers as Squeezer[], range: [lo, hi] as const, shape };
    const run = infer as NonNullable<typeof infer>;

    return {
      name: 'feature-squeezing',
      signals: { writes: [riskKey] },
      async afterInference(ctx) {
        const out = ctx.output;
        const rows = ctx.input;
        if (!Array.isArray(out) || !Array.isArray(rows) || out.length !== rows.length) return undefined;
        const scores = await squeezingScores(rows, out, run, opts);
        const flagged: number[] = [];
        let worst = 0;
        scores.forEach((v, i) => {
          if (v > o.threshold) flagged.push(i);
          if (v > worst) worst = v;
        });
        if (flagged.length === 0) return undefined;
        const message = `${flagged.length} of ${rows.length} row(s) change answer when squeezed (a sign of adversarial input), first: row ${flagged[0]}`;
        const attributes = { 'bulwark.squeezing.rows': flagged.length, 'bulwark.squeezing.score': Math.round(worst * 1000) / 1000 };
        const signals = [riskKey.of(flagged.length / rows.length)];
        if (o.action === 'deny') return { action: 'deny', code: 'anomalous_input', message, path: `inputs[${flagged[0]}]`, attributes, signals };
        if (o.action === 'degrade') return { action: 'modify', code: 'output_degraded', message, value: labelOnlyRows(out, flagged), attributes, signals };
        return { action: 'flag', code: 'anomalous_input', message, attributes, signals };
      },
    };
  },
});
