/**
 * The shipped privacy mechanisms as the audit sees them: one release on a pair of neighbouring
 * score vectors, through the same functions the dp-noise guard uses (gridding, noise, release),
 * with noise from the same sources (exact samplers fed by node:crypto; the constant-work
 * consistent noise, keyed by a new caller each time), and the negative controls that must fail.
 */
import {
  Bits,
  ConsistentNoise,
  cryptoRandom,
  discreteLaplace,
  GRID_BITS,
  gaussianScale,
  laplaceScale,
  randomUnit,
  releaseNoisyMax,
  releaseScores,
  sampleNoise,
} from '@bulwark/core';
import type { AuditKey, Release } from './audit.js';

const G = 2 ** GRID_BITS;
const RAW = { normalise: false, keepLabel: false } as const;

/** A histogram key for a vector of scores: buckets of `width` while every score is on the grid; an off-grid value is its own bucket. */
export function gridKey(values: readonly number[], width: number): AuditKey {
  let key = 0;
  for (const v of values) {
    if (!Number.isInteger(v * G)) return values.join(',');
    key = key * 100_003 + Math.floor(v / width) + 50_000;
  }
  return key;
}

export interface AuditCase {
  readonly name: string;
  /** What is audited, in words. */
  readonly what: string;
  readonly release: Release;
  /** A scalar view of the release, for the ε lower bound (when the output is one number). */
  readonly scalar?: (neighbour: boolean) => number;
  /** δ the mechanism is allowed at the audit's ε (0 for pure ε-DP). */
  readonly delta: number;
  /** Whether it must pass (shipped) or fail (negative control). */
  readonly expect: 'pass' | 'fail';
}

/** Binary answer [1 − p, p]: the dp-noise guard noises p and derives 1 − p. */
function binaryPair(pa: number, pb: number): (neighbour: boolean) => number[] {
  return (neighbour) => (neighbour ? [1 - pb, pb] : [1 - pa, pa]);
}

/**
 * Every case at ε (ln 3 in the audit). Pair A is 0 vs 1 (the full sensitivity: what a noise
 * scale that is too small fails); pair B is 0.1 vs 0.9 (off the grid: what a mechanism that does
 * not round its input fails).
 */
export function auditCases(epsilon: number): AuditCase[] {
  const bits = new Bits(cryptoRandom);
  const lap = laplaceScale(epsilon, 1, 1);
  const consistentNoise = new ConsistentNoise(lap, { random: cryptoRandom });
  const noise = new Float64Array(3);
  const row = new Float64Array([1, 2, 3]);
  let caller = 0;
  const cases: AuditCase[] = [];
  for (const [pair, pa, pb] of [
    ['A', 0, 1],
    ['B', 0.1, 0.9],
  ] as const) {
    const scores = binaryPair(pa, pb);
    const fresh = (nb: boolean) => {
      noise[0] = sampleNoise(bits, lap);
      return releaseScores(scores(nb), 1, noise, true, RAW).scores[1] as number;
    };
    const consistent = (nb: boolean) => {
      consistentNoise.noiseFor(`caller-${caller++}`, row, 1, noise);
      return releaseScores(scores(nb), 1, noise, true, RAW).scores[1] as number;
    };
    cases.push(
      {
        name: `laplace, fresh noise (pair ${pair})`,
        what: `discrete Laplace on the grid, binary scores p = ${pa} vs ${pb}`,
        release: (nb) => gridKey([fresh(nb)], 1),
        scalar: fresh,
        delta: 0,
        expect: 'pass',
      },
      {
        name: `laplace, consistent noise (pair ${pair})`,
        what: 'the same, constant-work consistent noise (PRF of a new caller each time)',
        release: (nb) => gridKey([consistent(nb)], 1),
        scalar: consistent,
        delta: 0,
        expect: 'pass',
      },
    );
    // Negative controls.
    const narrow = laplaceScale(epsilon * 1.175, 1, 1);
    const under = (nb: boolean) => {
      noise[0] = sampleNoise(bits, narrow);
      return releaseScores(scores(nb), 1, noise, true, RAW).scores[1] as number;
    };
    const naive = (nb: boolean) => {
      // Textbook Laplace on doubles: x − b·sign·ln(U).
      const u = randomUnit(cryptoRandom) - 0.5;
      return (scores(nb)[1] as number) - (1 / epsilon) * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
    };
    const noGrid = (nb: boolean) => (scores(nb)[1] as number) + discreteLaplace(bits, Number(lap.num), Number(lap.den)) / G;
    cases.push(
      {
        name: `control: noise scale ÷ 1.175 (pair ${pair})`,
        what: 'the grid mechanism with 1/1.175 of the noise',
        release: (nb) => gridKey([under(nb)], 1),
        scalar: under,
        delta: 0,
        expect: pair === 'A' ? 'fail' : 'pass',
      },
      {
        name: `control: Math.log Laplace on doubles (pair ${pair})`,
        what: 'textbook floating-point Laplace (scale 1/ε)',
        release: (nb) => gridKey([naive(nb)], 1),
        delta: 0,
        expect: 'fail',
      },
      {
        name: `control: exact noise, input not on the grid (pair ${pair})`,
        what: 'exact discrete Laplace added to the unrounded score',
        release: (nb) => gridKey([noGrid(nb)], 1),
        delta: 0,
        expect: pair === 'B' ? 'fail' : 'pass',
      },
    );
  }
  // Three classes: every score noised, L1 sensitivity 2; the key is the first two scores.
  const lap3 = laplaceScale(epsilon, 2, 3);
  const three = (nb: boolean) => {
    for (let i = 0; i < 3; i++) noise[i] = sampleNoise(bits, lap3);
    return releaseScores(nb ? [0, 1, 0] : [1, 0, 0], 0, noise, false, RAW).scores;
  };
  cases.push({
    name: 'laplace, three classes',
    what: 'discrete Laplace on all three scores, (1,0,0) vs (0,1,0)',
    release: (nb) => gridKey(three(nb).slice(0, 2), 2),
    delta: 0,
    expect: 'pass',
  });
  // Report-noisy-max over three classes: the answer is a label.
  const rnm = laplaceScale(epsilon / 2, 1, 1);
  cases.push({
    name: 'noisy-max, three classes',
    what: 'report-noisy-max label, (1,0,0) vs (0,1,0)',
    release: (nb) => {
      for (let i = 0; i < 3; i++) noise[i] = sampleNoise(bits, rnm);
      return releaseNoisyMax(nb ? [0, 1, 0] : [1, 0, 0], noise);
    },
    delta: 0,
    expect: 'pass',
  });
  // Discrete Gaussian at ρ = 0.05: (ε, δ)-DP with δ(ε) from the zCDP conversion (Bun & Steinke 2016).
  const rho = 0.05;
  const gauss = gaussianScale(rho, 1, 1);
  const gaussianRelease = (nb: boolean) => {
    noise[0] = sampleNoise(bits, gauss);
    return releaseScores(nb ? [0, 1] : [1, 0], 1, noise, true, RAW).scores[1] as number;
  };
  cases.push({
    name: 'gaussian (ρ = 0.05)',
    what: 'discrete Gaussian, binary scores 0 vs 1',
    release: (nb) => gridKey([gaussianRelease(nb)], 1),
    scalar: gaussianRelease,
    delta: Math.exp(-((epsilon - rho) ** 2) / (4 * rho)),
    expect: 'pass',
  });
  return cases;
}
