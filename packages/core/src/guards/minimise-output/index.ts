/**
 * minimise-output: an answer carries what the API declares and no more. Models return more than
 * class scores: logits (which reveal the decision function more precisely than probabilities, and
 * feed extraction and membership attacks), embeddings (which can be inverted towards the input and
 * replicate the model under them), and internal tensors a handler passes along by accident. Per
 * output record (each element of an array output, or the output itself):
 *   declared   only these keys leave; anything else (an internal tensor, a debug field) is dropped
 *   strip      these keys are dropped even when declared (default: logits)
 *   vectors    numeric arrays at these keys are cut to `maxDims`, their L2 norm clipped to `maxNorm`,
 *              then rounded to `decimals`
 */
import { type Infer, s } from '../../policy/schema.js';
import type { Guard } from '../../types.js';
import { defineGuard } from '../define.js';

const KEY = { pattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/, rule: 'must be a key name', maxLength: 128 };

const schema = s.object({
  declared: s.doc(
    s.optional(s.array(s.string(KEY), { minItems: 1, maxItems: 256 })),
    'keys an output record may carry; anything else is dropped (default: keep all keys but `strip`)',
  ),
  strip: s.doc(s.default(s.array(s.string(KEY), { maxItems: 256 }), ['logits']), 'keys always dropped'),
  vectors: s.doc(
    s.default(
      s.array(
        s.object({
          key: s.string(KEY),
          maxDims: s.optional(s.int({ min: 1, max: 1_000_000 })),
          maxNorm: s.optional(s.number({ gt: 0 })),
          decimals: s.optional(s.int({ min: 0, max: 8 })),
        }),
        { maxItems: 64 },
      ),
      [],
    ),
    'numeric arrays to cap: first maxDims kept, L2 norm clipped to maxNorm, rounded to decimals',
  ),
});

export type MinimiseOutputOptions = Infer<typeof schema>;

type Vector = MinimiseOutputOptions['vectors'][number];

/** The vector capped: cut, norm-clipped, rounded. Non-finite elements become 0 (they would not serialise). */
export function capVector(v: ArrayLike<number>, o: Omit<Vector, 'key'>): number[] {
  const n = Math.min(v.length, o.maxDims ?? v.length);
  const out = new Array<number>(n);
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = Number(v[i]);
    out[i] = Number.isFinite(x) ? x : 0;
    sq += (out[i] as number) ** 2;
  }
  if (o.maxNorm !== undefined && sq > o.maxNorm ** 2) {
    const f = o.maxNorm / Math.sqrt(sq);
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) * f;
  }
  if (o.decimals !== undefined) {
    const scale = 10 ** o.decimals;
    // Rounding towards zero keeps a clipped vector within maxNorm.
    for (let i = 0; i < n; i++) out[i] = Math.trunc((out[i] as number) * scale) / scale;
  }
  return out;
}

/**
 * Creates the minimise-output guard.
 *
 * @example
 * ```ts
 * minimiseOutput({ declared: ['label', 'scores', 'embedding'], vectors: [{ key: 'embedding', maxDims: 32, maxNorm: 1, decimals: 3 }] })
 * ```
 */
export const minimiseOutput = defineGuard({
  use: 'minimise-output',
  description: 'Return only declared output fields: strip logits and internal tensors, cap and quantise embeddings',
  schema,
  create(o): Guard<unknown, unknown> {
    const declared = o.declared === undefined ? undefined : new Set(o.declared);
    const strip = new Set(o.strip);
    const vectors = new Map(o.vectors.map((v) => [v.key, v]));

    function minimise(record: unknown, counts: { dropped: number; capped: number }): unknown {
      if (typeof record !== 'object' || record === null || Array.isArray(record) || ArrayBuffer.isView(record)) return record;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(record)) {
        if (strip.has(key) || (declared !== undefined && !declared.has(key))) {
          counts.dropped++;
          continue;
        }
        const value = (record as Record<string, unknown>)[key];
        const cap = vectors.get(key);
        if (cap !== undefined && (Array.isArray(value) || ArrayBuffer.isView(value))) {
          out[key] = capVector(value as ArrayLike<number>, cap);
          counts.capped++;
        } else if (key !== '__proto__') out[key] = value;
      }
      return out;
    }

    return {
      name: 'minimise-output',
      afterInference(ctx) {
        const counts = { dropped: 0, capped: 0 };
        const value = Array.isArray(ctx.output) ? ctx.output.map((r) => minimise(r, counts)) : minimise(ctx.output, counts);
        if (counts.dropped === 0 && counts.capped === 0) return undefined;
        return {
          action: 'modify',
          code: 'output_minimised',
          message: `dropped ${counts.dropped} field(s), capped ${counts.capped} vector(s)`,
          value,
          attributes: { 'bulwark.minimise.dropped': counts.dropped, 'bulwark.minimise.capped': counts.capped },
        };
      },
    };
  },
});
