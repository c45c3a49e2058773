/**
 * A custom guard, written the way the built-in ones are: one `defineGuard` with a schema (here in
 * zod: any Standard Schema library works) and a factory. It refuses rows with features outside the
 * range the model was trained on (the model's answers there are extrapolation, and a favourite
 * place for evasion). The same definition runs in code (`featureRange({ ranges })`) and under
 * `bulwark serve` as a plugin (policy.yaml: `plugins: [./src/feature-range.ts]`).
 */
import { ConfigError, defineGuard } from '@bulwark/core';
import { z } from 'zod';

const schema = z.strictObject({
  /** Per-feature [min, max] seen in training. */
  ranges: z.array(z.tuple([z.number(), z.number()])).min(1),
  /** Allowed overshoot, as a fraction of each feature's range. */
  tolerance: z.number().min(0).max(10).default(0.1),
});

export const featureRange = defineGuard({
  use: 'feature-range',
  description: 'Refuse rows with features outside the training range',
  schema,
  create(o, context) {
    // Checked against the model when the pipeline knows it (bulwark serve builds guards after loading the model).
    const d = context.model?.features;
    if (d !== undefined && d !== o.ranges.length) {
      throw new ConfigError(
        [{ code: 'model_mismatch', path: 'ranges', rule: `must have one [min, max] per feature: the model takes ${d}`, received: `${o.ranges.length} ranges` }],
        'feature-range options',
      );
    }
    const lo = o.ranges.map(([a, b]) => a - o.tolerance * (b - a));
    const hi = o.ranges.map(([a, b]) => b + o.tolerance * (b - a));
    return {
      name: 'feature-range',
      beforeInference(ctx) {
        let outside = 0;
        for (const row of ctx.input as number[][]) {
          for (let j = 0; j < row.length; j++) {
            const v = row[j] as number;
            if (v < (lo[j] as number) || v > (hi[j] as number)) outside++;
          }
        }
        if (outside === 0) return undefined;
        // The message names how many values, never the values themselves.
        return {
          action: 'deny',
          code: 'anomalous_input',
          message: `${outside} value(s) outside the training range`,
          attributes: { 'example.outside': outside },
        };
      },
    };
  },
});
