/**
 * Assertions for a user's own test suite (vitest, jest, node:test: it only throws).
 *
 * @example
 * ```ts
 * import { assertRobust } from '@bulwark/attack-lab/vitest'
 * it('keeps membership leakage down', async () => {
 *   const result = await membershipAttack(target, options)
 *   assertRobust([{ target: 'guarded', model: 'leaky', result }], { membership: { maxAdvantage: 0.05 } })
 * })
 * ```
 */
import { checkGates, type Gates } from './gates.js';
import type { AttackRun } from './report/report.js';

/** Throws naming every gate that did not pass: crossed, or over a run that measured nothing. */
export function assertRobust(runs: readonly AttackRun[], gates: Gates): void {
  const failed = checkGates(runs, gates).filter((g) => !g.passed);
  if (failed.length > 0) {
    const line = (g: (typeof failed)[number]) =>
      g.status === 'fail'
        ? `  - ${g.gate} against ${g.target}: ${g.value?.toFixed(4)} > ${g.threshold}`
        : `  - ${g.gate} against ${g.target}: ${g.status} (${g.reason ?? 'nothing measured'})`;
    throw new Error(`robustness gates not passed:\n${failed.map(line).join('\n')}`);
  }
}
