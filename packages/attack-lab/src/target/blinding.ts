/**
 * Query blinding (Chen, Carlini and Wagner 2019): the adaptive attacker against stateful
 * detectors. Every row is moved by fresh uniform noise of up to `noise` per feature (clipped to the
 * feature's bounds) before it is sent, so consecutive queries of a search stop being near
 * duplicates of each other. The search itself does not know: it reads the answer to the blinded
 * row as the answer to its own, which costs it accuracy, and its perturbation budget must leave
 * room for the noise (search at ε − noise to stay within ε).
 */
import { Rng } from '../rng.js';
import type { Target } from './target.js';

export interface BlindingOptions {
  /** Largest change per feature, in feature units (one for all, or one per feature). */
  readonly noise: number | readonly number[];
  readonly bounds: readonly (readonly [number, number])[];
  /** Features that may be changed (default: all). */
  readonly mutable?: readonly number[];
  readonly seed: number;
}

export function blindQueries(target: Target, o: BlindingOptions): Target {
  const rng = new Rng(o.seed);
  const mutable = o.mutable ?? o.bounds.map((_, j) => j);
  return {
    name: target.name,
    stats: target.stats,
    query(rows) {
      const blinded = rows.map((row) => {
        const x = row.slice();
        for (const j of mutable) {
          const [lo, hi] = o.bounds[j] as readonly [number, number];
          const noise = typeof o.noise === 'number' ? o.noise : (o.noise[j] as number);
          x[j] = Math.min(hi, Math.max(lo, (x[j] as number) + (2 * rng.next() - 1) * noise));
        }
        return x;
      });
      return target.query(blinded);
    },
  };
}
