/**
 * Deterministic randomness and time for tests. `seededRandom` is a ChaCha20 keystream (node:crypto)
 * keyed by the seed: reproducible, and still of cryptographic quality, so a statistical test of a
 * noise sampler means the same with it as with the default source. Never use it in production:
 * anyone who knows the seed knows every draw.
 */
import { createCipheriv, createHash } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import type { RandomSource } from '../runtime/random.js';

export function seededRandom(seed: string | number): RandomSource {
  const key = createHash('sha256').update(`bulwark-seeded-random:${seed}`).digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  return {
    fill(buf: Uint8Array): Uint8Array {
      // Encrypting zeros yields the keystream.
      const stream = cipher.update(Buffer.alloc(buf.length));
      buf.set(stream);
      return buf;
    },
  };
}

/** Uniform draws in [0, 1) from `seededRandom(seed)`: reproducible test data (32 bits a draw). */
export function seededUniform(seed: string | number): () => number {
  const source = seededRandom(seed);
  const word = new Uint32Array(1);
  return () => {
    source.fill(new Uint8Array(word.buffer));
    return (word[0] as number) / 2 ** 32;
  };
}

/** A clock that moves only when told to. */
export interface ManualClock extends Clock {
  /** Moves both the wall clock and the monotonic clock forward. */
  advance(ms: number): void;
  /** Sets the wall clock (the monotonic clock is unchanged). */
  set(ms: number): void;
}

export function manualClock(startMs = 1_700_000_000_000): ManualClock {
  let wall = startMs;
  let mono = 0;
  return {
    now: () => wall,
    monotonic: () => mono,
    advance(ms: number) {
      if (!(ms >= 0)) throw new RangeError('a clock only moves forward');
      wall += ms;
      mono += ms;
    },
    set(ms: number) {
      wall = ms;
    },
  };
}
