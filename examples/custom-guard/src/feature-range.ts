/**
 * A custom guard, written the way the built-in ones are: a factory that validates its options
 * once and returns a named guard. It refuses rows with features outside the range the model was
 * trained on (the model's answers there are extrapolation, and a favourite place for evasion), and
 * flags rows near the edge.
 */
import { type Guard, parseOptions, s } from '@bulwark/core';

const schema = s.object({
  /** Per-feature [min, max] seen in training. */
  ranges: s.array(s.array(s.number(), { maxItems: 2 })),
  /** Allowed overshoot, as a fraction of each feature's range (default 0.1). */
  tolerance: s.optional(s.number({ min: 0, max: 10 })),
  mode: s.optional(s.enumOf(['enforce', 'monitor'] as const)),
});

export type FeatureRangeOptions = { ranges: [number, number][]; tolerance?: number; mode?: 'enforce' | 'monitor' };

export function featureRange(options: FeatureRangeOptions): Guard<number[][]> {
  const o = parseOptions(schema, options, 'featureRange options');
  const tol = o.tolerance ?? 0.1;
  const lo = o.ranges.map(([a = 0, b = 0]) => a - tol * (b - a));
  const hi = o.ranges.map(([a = 0, b = 0]) => b + tol * (b - a));
  return {
    name: 'feature-range',
    mode: o.mode,
    beforeInference(ctx) {
      let outside = 0;
      for (const row of ctx.input) {
        for (let j = 0; j < row.length; j++) {
          const v = row[j] as number;
          if (v < (lo[j] as number) || v > (hi[j] as number)) outside++;
        }
      }
      if (outside === 0) return undefined;
      // The message names how many values, never the values themselves.
      return { action: 'deny', code: 'anomalous_input', message: `${outside} value(s) outside the training range`, attributes: { 'example.outside': outside } };
    },
  };
}
