import { s } from '../../policy/schema.js';

/** Options of mask-output, as code and as a policy file's `with:` block. */
export const maskOutputSchema = s.object({
  form: s.enumOf(['label', 'top-k', 'rounded'] as const),
  k: s.optional(s.int({ min: 1, max: 1000 })),
  decimals: s.optional(s.int({ min: 0, max: 8 })),
  mode: s.optional(s.enumOf(['enforce', 'monitor'] as const)),
  onError: s.optional(s.enumOf(['deny', 'allow'] as const)),
});
