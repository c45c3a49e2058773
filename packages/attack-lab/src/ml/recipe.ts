/**
 * A training recipe: how the target was trained, as far as the attacker knows or guesses it.
 * Shadow models only imitate the target when they copy its recipe (Carlini et al. 2022): a wide
 * network trained to zero loss on noisy labels leaks very differently from a small regularised one.
 */
import type { Rng } from '../rng.js';
import { Mlp, type MlpOptions, oneHot } from './mlp.js';

export interface TrainingRecipe {
  /** Hidden units (0: logistic regression). */
  readonly hidden: number;
  /** Rows each model is trained on. */
  readonly trainSize: number;
  readonly epochs: number;
  readonly learningRate?: number;
  /** L2 penalty on the weights (0: none, as an overfit model has). */
  readonly l2?: number;
  /** Share of training labels replaced by a random class, as the target's data had (default 0). */
  readonly labelNoise?: number;
  readonly batchSize?: number;
  /** How inputs are scaled before the first layer (default: standardised per feature). */
  readonly scaling?: MlpOptions['scaling'];
}

/** A generic recipe when the target's is unknown: a regularised 64-unit network. */
export const DEFAULT_RECIPE: TrainingRecipe = Object.freeze({ hidden: 64, trainSize: 400, epochs: 150, learningRate: 0.005, l2: 0 });

/** Trains one model by the recipe on the given rows (label noise applied here); returns it with the labels it was trained on. */
export function trainByRecipe(
  x: readonly (readonly number[])[],
  y: readonly number[],
  classes: number,
  recipe: TrainingRecipe,
  rng: Rng,
): { model: Mlp; labels: number[] } {
  const noise = recipe.labelNoise ?? 0;
  const labels = y.map((v) => (noise > 0 && rng.next() < noise ? rng.int(classes) : v));
  const model = new Mlp({ inputs: x[0]?.length ?? 0, classes, hidden: recipe.hidden }, rng.fork(1));
  model.fit(
    x,
    labels.map((v) => oneHot(v, classes)),
    { epochs: recipe.epochs, learningRate: recipe.learningRate ?? 0.005, l2: recipe.l2 ?? 0, batchSize: recipe.batchSize ?? 32, scaling: recipe.scaling },
    rng.fork(2),
  );
  return { model, labels };
}
