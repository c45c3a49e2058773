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

export function assertRobust(runs: readonly AttackRun[], gates: Gates): void {
  const failed = checkGates(runs, gates).filter((g) => !g.passed);
  if (failed.length > 0) {
    throw new Error(`robustness gates crossed:\n${failed.map((g) => `  - ${g.gate} against ${g.target}: ${g.value.toFixed(4)} > ${g.threshold}`).join('\n')}`);
  }
}
