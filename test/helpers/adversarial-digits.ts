/**
 * Adversarial digits for judging feature squeezing, in its test and in `pnpm detection`:
 * score-based and HopSkipJump evasion (L∞ ε = 0.25 of the 0-16 pixel range) against the model
 * itself, unguarded, from held-out images.
 *
 * `naiveAdversarialDigits`: the attacker who does not know the squeezer.
 * `onGridAdversarialDigits`: the adaptive attacker who does (bit-depth squeezing): every query is
 * reduced to the squeezer's grid before it is sent, so an example is its own squeezed copy and the
 * squeezer's score is 0 by construction. Its ε is the naive one less half a grid step, so the final
 * (gridded) examples stay within L∞ 0.25 of the clean image as well.
 */
import { createTarget, evasionAttack, functionTransport } from '@bulwark/attack-lab';
import { type Prediction, reduceBitDepth } from '@bulwark/core';

type Infer = (rows: number[][]) => Promise<readonly Prediction[]>;

/** An adversarial example and the clean image it came from. */
export interface DigitExample {
  readonly original: readonly number[];
  readonly adversarial: number[];
}

async function adversarialDigits(
  infer: Infer,
  samples: readonly (readonly number[])[],
  startPool: readonly (readonly number[])[],
  epsilon: number,
): Promise<DigitExample[]> {
  const adversarial: DigitExample[] = [];
  for (const method of ['score', 'hopskipjump'] as const) {
    const r = await evasionAttack(createTarget('open', functionTransport(infer as never), {}), {
      samples: samples as number[][],
      method,
      norm: 'linf',
      epsilon,
      featureScale: new Array(64).fill(16),
      bounds: new Array(64).fill([0, 16]),
      startPool: startPool as number[][],
      seed: 1,
      maxQueriesPerSample: method === 'score' ? 200 : 1000,
    });
    adversarial.push(...r.examples.map((e) => ({ original: e.original, adversarial: [...e.adversarial] })));
  }
  return adversarial;
}

export async function naiveAdversarialDigits(
  infer: Infer,
  samples: readonly (readonly number[])[],
  startPool: readonly (readonly number[])[],
): Promise<number[][]> {
  return (await adversarialDigits(infer, samples, startPool, 0.25)).map((e) => e.adversarial);
}

export async function onGridAdversarialDigits(
  infer: Infer,
  samples: readonly (readonly number[])[],
  startPool: readonly (readonly number[])[],
  bits: number,
): Promise<DigitExample[]> {
  const onGrid = (rows: readonly (readonly number[])[]) => rows.map((r) => reduceBitDepth(r, bits, [0, 16]));
  const halfStep = 16 / (2 ** bits - 1) / 2;
  const found = await adversarialDigits((rows) => infer(onGrid(rows)), samples, onGrid(startPool), 0.25 - halfStep / 16);
  return found.map((e) => ({ original: e.original, adversarial: reduceBitDepth(e.adversarial, bits, [0, 16]) }));
}
