/** What a detector's `degrade` action does to the answer: the flagged rows keep their label only. */
import type { Prediction } from '../types.js';

/** A copy of `out` with the rows at `rows` reduced to `{ label }`. */
export function labelOnlyRows(out: readonly Prediction[], rows: readonly number[]): Prediction[] {
  const degraded = out.slice();
  for (const i of rows) {
    const p = degraded[i];
    if (p) degraded[i] = { label: p.label };
  }
  return degraded;
}
