/**
 * Noise mechanisms for score vectors, safe on floating point (the construction of Google's DP
 * library and OpenDP): clamp each score to [0, 1], round it to a grid of 2^-bits, charge the
 * rounding as extra sensitivity, add integer noise from an exact sampler, and read the result back
 * as a multiple of the grid. Every released number before post-processing is an exact multiple of
 * 2^-bits (a Mironov attack has no low-order bits to read).
 *
 * Neighbouring, for a score vector: any two vectors the model could return for the same query,
 * i.e. any change of the model (trained with or without a record). Scores lie in [0, 1], so one
 * noised coordinate has sensitivity 1; a K-class vector has L1 sensitivity 2 (K ≥ 3), and a binary
 * answer noises one score and derives the other (sensitivity 1). ε then bounds what one answer
 * adds to what the caller knew, for *any* model: it says nothing about what the model memorised,
 * and a label released beside the noise (argmax preservation) is released in the clear.
 */
import type { Bits } from './samplers.js';
import { discreteGaussian, discreteLaplace } from './samplers.js';

/** Exponent of the default grid: scores are released as multiples of 2^-20 (about 1e-6). */
export const GRID_BITS = 20;
/** ε and ρ are taken down to a multiple of 2^-20 for the exact rational scale (the charge is the nominal value, never less). */
const PARAM_BITS = 20;

export type NoiseKind = 'laplace' | 'gaussian';

/** A noise distribution on the grid's integers, as an exact sampler's parameters. */
export interface NoiseScale {
  readonly kind: NoiseKind;
  /** Laplace: scale = num / den, in grid units. Gaussian: σ² = num / den, in grid units². */
  readonly num: bigint;
  readonly den: bigint;
  /** The scale (Laplace) or σ (Gaussian) in score units, for documentation and tests. */
  readonly width: number;
}

function downTo(value: number, what: string): bigint {
  const units = Math.floor(value * 2 ** PARAM_BITS);
  if (!Number.isFinite(value) || units < 1) throw new RangeError(`${what} must be a finite number >= 2^-${PARAM_BITS} (received ${value})`);
  return BigInt(units);
}

/**
 * Discrete Laplace calibrated to ε for L1 sensitivity `sensitivity` over `coords` noised scores:
 * scale = (Δ + coords·g) / ε in grid units (each coordinate's rounding moves it by at most g/2,
 * so two rounded neighbours are at most Δ + coords·g apart: Google's λ = gε/(Δ+g)).
 */
export function laplaceScale(epsilon: number, sensitivity: number, coords: number, bits = GRID_BITS): NoiseScale {
  const delta = BigInt(Math.ceil(sensitivity * 2 ** bits)) + BigInt(coords);
  const e = downTo(epsilon, 'epsilon');
  const num = delta << BigInt(PARAM_BITS);
  return { kind: 'laplace', num, den: e, width: Number(num) / Number(e) / 2 ** bits };
}

/**
 * Discrete Gaussian calibrated to ρ-zCDP for L2 sensitivity Δ₂ (CKS20: Δ₂²/(2σ²)-zCDP):
 * σ² = (Δ₂ + coords·g)² / (2ρ) in grid units.
 */
export function gaussianScale(rho: number, sensitivity: number, coords: number, bits = GRID_BITS): NoiseScale {
  const delta = BigInt(Math.ceil(sensitivity * 2 ** bits)) + BigInt(coords);
  const r = downTo(rho, 'rho');
  const num = (delta * delta) << BigInt(PARAM_BITS);
  const den = 2n * r;
  return { kind: 'gaussian', num, den, width: Math.sqrt(Number(num) / Number(den)) / 2 ** bits };
}

/** One draw of integer noise (in grid units) from an exact sampler. */
export function sampleNoise(bits: Bits, scale: NoiseScale): number {
  return scale.kind === 'laplace' ? discreteLaplace(bits, Number(scale.num), Number(scale.den)) : discreteGaussian(bits, scale.num, scale.den);
}

/** A score clamped to [0, 1] and rounded to the grid, as an integer number of grid steps. */
export function toGrid(score: number, bits = GRID_BITS): number {
  const clamped = score >= 0 ? (score <= 1 ? score : 1) : 0; // NaN → 0
  return Math.round(clamped * 2 ** bits); // × a power of two is exact
}

/** A grid integer back to a score: exact (below 2^53 steps). */
export function fromGrid(steps: number, bits = GRID_BITS): number {
  return steps / 2 ** bits;
}

/** Index of the largest value (ties: the lowest index). */
export function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

export interface PostProcess {
  /** Clamp to [0, 1] and renormalise to sum 1 (free: post-processing). */
  readonly normalise: boolean;
  /**
   * Keep the model's own top-1 label: when the noisy argmax differs, swap the two scores. Not
   * free: the answer then carries the true label, so it discloses the label in the clear plus
   * ε for the scores.
   */
  readonly keepLabel: boolean;
}

/**
 * Post-processing of noised scores (already in score units): clamp and renormalise, and (when
 * asked) swap so that the model's label stays on top. Returns the label the answer carries.
 */
export function postProcess(noisy: number[], trueLabel: number, p: PostProcess): number {
  if (p.normalise) {
    let sum = 0;
    for (let i = 0; i < noisy.length; i++) {
      const v = noisy[i] as number;
      const c = v > 0 ? (v < 1 ? v : 1) : 0;
      noisy[i] = c;
      sum += c;
    }
    if (sum === 0) noisy.fill(1 / noisy.length);
    else for (let i = 0; i < noisy.length; i++) noisy[i] = (noisy[i] as number) / sum;
  }
  const top = argmax(noisy);
  if (!p.keepLabel || top === trueLabel || trueLabel < 0 || trueLabel >= noisy.length) return top;
  const a = noisy[top] as number;
  noisy[top] = noisy[trueLabel] as number;
  noisy[trueLabel] = a;
  return trueLabel;
}

/**
 * The released answer for one row: noise (grid units, one sample per noised score) added to the
 * gridded scores, then post-processed. With `binary`, only the second score is noised and the
 * first is its complement (sensitivity 1). With `normalise: false` every score is an exact
 * multiple of the grid.
 */
export function releaseScores(
  scores: readonly number[],
  trueLabel: number,
  noise: ArrayLike<number>,
  binary: boolean,
  post: PostProcess,
  bits = GRID_BITS,
): { label: number; scores: number[] } {
  const g = 2 ** bits;
  const k = scores.length;
  const noisy = new Array<number>(k);
  if (binary) {
    const p = toGrid(scores[1] as number, bits) + (noise[0] as number);
    noisy[1] = p / g;
    noisy[0] = (g - p) / g; // 1 − p, on the grid too
  } else for (let i = 0; i < k; i++) noisy[i] = (toGrid(scores[i] as number, bits) + (noise[i] as number)) / g;
  const label = postProcess(noisy, trueLabel, post);
  return { label, scores: noisy };
}

/** Report-noisy-max: the index of the largest gridded score plus noise (scale 2Δ/ε: ε-DP). */
export function releaseNoisyMax(scores: readonly number[], noise: ArrayLike<number>, bits = GRID_BITS): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    const v = toGrid(scores[i] as number, bits) + (noise[i] as number);
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * Reverse sigmoid (Lee et al. 2019, "Defending against NN model stealing attacks using deceptive
 * perturbations"): deterministic, no budget. Each score p is moved by r(p) = β·(σ(γ·logit(p)) −
 * 1/2), which inverts the sigmoid near the model's own confidence so that scores no longer reveal
 * the logits a clone would learn from; then clamped and renormalised. The model's top-1 label is
 * kept (a swap when the perturbation moved it).
 */
export function reverseSigmoid(scores: readonly number[], label: number, beta: number, gamma: number): number[] {
  const out = new Array<number>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, scores[i] as number));
    const logit = Math.log(p / (1 - p));
    const r = beta * (1 / (1 + Math.exp(-gamma * logit)) - 0.5);
    out[i] = p - r;
  }
  postProcess(out, label, { normalise: true, keepLabel: true });
  return out;
}
