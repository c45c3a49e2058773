/**
 * Naive adversarial digits: score-based and HopSkipJump evasion (L∞ ε = 0.25 of the 0-16 pixel
 * range) against the model itself, unguarded, from held-out images. What feature squeezing is
 * judged on, in its test and in `pnpm detection`.
 */
import { createTarget, evasionAttack, functionTransport } from '@bulwark/attack-lab';
import type { Prediction } from '@bulwark/core';

export async function naiveAdversarialDigits(
  infer: (rows: number[][]) => Promise<readonly Prediction[]>,
  samples: readonly (readonly number[])[],
  startPool: readonly (readonly number[])[],
): Promise<number[][]> {
  const adversarial: number[][] = [];
  for (const method of ['score', 'hopskipjump'] as const) {
    const r = await evasionAttack(createTarget('open', functionTransport(infer as never), {}), {
      samples: samples as number[][],
      method,
      norm: 'linf',
      epsilon: 0.25,
      featureScale: new Array(64).fill(16),
      bounds: new Array(64).fill([0, 16]),
      startPool: startPool as number[][],
      seed: 1,
      maxQueriesPerSample: method === 'score' ? 200 : 1000,
    });
    adversarial.push(...r.examples.map((e) => [...e.adversarial]));
  }
  return adversarial;
}
