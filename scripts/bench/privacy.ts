/**
 * (h) What output privacy costs. Per output row, on the request path: consistent noise (PRF words
 * and fixed comparisons: the same work at every ε) and the fresh pool (a read), then release
 * (grid, noise, clamp, renormalise), for 2 and 10 classes; the exact samplers per sample (paid
 * between requests, by the pool's refill); and dp-noise as a guard around a no-op model against
 * the empty pipeline. Interleaved rounds, medians over rounds.
 */
import {
  Bits,
  ConsistentNoise,
  createBulwark,
  cryptoRandom,
  dpNoise,
  gaussianScale,
  laplaceScale,
  NoisePool,
  type Prediction,
  quantiseRow,
  releaseNoisyMax,
  releaseScores,
  reverseSigmoidScores,
  sampleNoise,
} from '@bulwark/core';
import { measureInterleaved } from './stats.js';

export interface PrivacyBench {
  /** ns per output row on the request path, by mechanism and classes. */
  rowNs: Record<string, number>;
  /** ns per sample of the exact samplers, by scale. */
  samplerNs: Record<string, number>;
  /** ns per guarded call (one row, no-op model) and the ratio to the empty pipeline. */
  guardNs: Record<string, number>;
  guardRatio: Record<string, number>;
}

export async function benchPrivacy(quick = false): Promise<PrivacyBench> {
  const rounds = quick ? 3 : 15;
  const calls = quick ? 2000 : 20_000;
  const post = { normalise: true, keepLabel: true };
  const rowNs: Record<string, number> = {};
  for (const k of [2, 10]) {
    const scores = Array.from({ length: k }, (_, i) => (i + 1) / ((k * (k + 1)) / 2));
    const n = k === 2 ? 1 : k;
    const noise = new Float64Array(n);
    const cells = new Float64Array(8);
    const row = [72.76, 4, 0.309, 0.5124, 3, 0, 0, 982.67];
    const variants: Record<string, () => unknown> = {};
    for (const eps of [0.1, 1, 10]) {
      const cn = new ConsistentNoise(laplaceScale(eps, k === 2 ? 1 : 2, n), { random: cryptoRandom });
      let i = 0;
      variants[`${k} classes: consistent laplace ε=${eps}`] = () => {
        row[0] = i++ % 1000;
        cn.noiseFor('caller-hash-0123456789', quantiseRow(row, 12, cells), n, noise);
        return releaseScores(scores, k - 1, noise, k === 2, post);
      };
    }
    const pool = new NoisePool(laplaceScale(1, k === 2 ? 1 : 2, n), 1 << 22, cryptoRandom);
    variants[`${k} classes: fresh pool read (laplace ε=1)`] = () => {
      if (pool.available < n) pool.refillNow(1 << 16); // untimed in a server (between requests); rare here
      pool.take(n, noise);
      return releaseScores(scores, k - 1, noise, k === 2, post);
    };
    const gaussianPool = new NoisePool(gaussianScale(0.5, k === 2 ? 1 : Math.SQRT2, n), 1 << 22, cryptoRandom);
    variants[`${k} classes: fresh pool read (gaussian ρ=0.5)`] = () => {
      if (gaussianPool.available < n) gaussianPool.refillNow(1 << 16); // untimed in a server, as above
      gaussianPool.take(n, noise);
      return releaseScores(scores, k - 1, noise, k === 2, post);
    };
    const maxNoise = new Float64Array(k);
    const rnm = new ConsistentNoise(laplaceScale(0.5, 1, 1), { random: cryptoRandom });
    let m = 0;
    variants[`${k} classes: consistent noisy-max ε=1`] = () => {
      row[0] = m++ % 1000;
      rnm.noiseFor('caller-hash-0123456789', quantiseRow(row, 12, cells), k, maxNoise);
      return releaseNoisyMax(scores, maxNoise);
    };
    variants[`${k} classes: reverse sigmoid`] = () => reverseSigmoidScores(scores, k - 1, 1, 1);
    Object.assign(rowNs, await measureInterleaved(variants, rounds, calls, 2000));
    pool.close();
    gaussianPool.close();
  }
  const bits = new Bits(cryptoRandom);
  const samplerNs = await measureInterleaved(
    {
      'discrete Laplace, ε=0.1': (
        (s) => () =>
          sampleNoise(bits, s)
      )(laplaceScale(0.1, 1, 1)),
      'discrete Laplace, ε=1': (
        (s) => () =>
          sampleNoise(bits, s)
      )(laplaceScale(1, 1, 1)),
      'discrete Laplace, ε=10': (
        (s) => () =>
          sampleNoise(bits, s)
      )(laplaceScale(10, 1, 1)),
      'discrete Gaussian, ρ=0.5': (
        (s) => () =>
          sampleNoise(bits, s)
      )(gaussianScale(0.5, 1, 1)),
    },
    rounds,
    quick ? 2000 : 20_000,
    2000,
  );
  const P = { principal: 'bench-user' };
  const out: Prediction[] = [{ label: 1, scores: [0.3, 0.7] }];
  const model = () => out;
  const empty = createBulwark({ principalSecret: 'bench-secret-0123456789' }).wrap(model);
  const consistent = createBulwark({ principalSecret: 'bench-secret-0123456789', guards: [dpNoise({ epsilon: 1, keepLabel: true })] }).wrap(model);
  const ledger = createBulwark({
    principalSecret: 'bench-secret-0123456789',
    guards: [dpNoise({ epsilon: 1, keepLabel: true, ledger: { perCaller: { periods: [{ budget: 1e9, per: 'day' }] } } })],
  }).wrap(model);
  let j = 0;
  const guardNs = await measureInterleaved(
    {
      'empty pipeline': () => empty([[j++ % 1000, 1, 2]], P),
      'dp-noise (consistent, ε=1)': () => consistent([[j++ % 1000, 1, 2]], P),
      'dp-noise (consistent, ε=1) + memory ledger': () => ledger([[j++ % 1000, 1, 2]], P),
    },
    rounds,
    quick ? 1000 : 10_000,
    1000,
  );
  const base = guardNs['empty pipeline'] as number;
  const guardRatio = Object.fromEntries(Object.entries(guardNs).map(([k, v]) => [k, v / base]));
  return { rowNs, samplerNs, guardNs, guardRatio };
}
