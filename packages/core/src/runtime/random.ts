/**
 * Randomness. Everything in Bulwark that draws at random (request ids aside, which come from
 * node:crypto directly: runtime/request-id.ts) draws from a `RandomSource`: by default
 * `cryptoRandom`, node:crypto's CSPRNG.
 * It is injectable (pipeline option `random`, factory context, guard options) so that stateful and
 * noisy guards are testable without monkey-patching, and so a security reviewer can audit the one
 * place noise comes from. `Math.random` is used nowhere.
 */
import { randomFillSync } from 'node:crypto';

/** A source of uniformly random bytes. */
export interface RandomSource {
  /** Fills `buf` with uniformly random bytes and returns it. */
  fill(buf: Uint8Array): Uint8Array;
}

const POOL_SIZE = 4096;

/**
 * node:crypto's CSPRNG, drawn through a pool: `randomFillSync` has a fixed cost per call, so small
 * draws (4-8 bytes for a sample) take slices of one 4 KiB draw instead.
 */
class CryptoRandom implements RandomSource {
  readonly #pool = new Uint8Array(POOL_SIZE);
  #offset = POOL_SIZE;

  fill(buf: Uint8Array): Uint8Array {
    if (buf.length > POOL_SIZE / 4) return randomFillSync(buf);
    if (this.#offset + buf.length > POOL_SIZE) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    buf.set(this.#pool.subarray(this.#offset, this.#offset + buf.length));
    // Bytes handed out are wiped from the pool, so they cannot be read back from it later.
    this.#pool.fill(0, this.#offset, this.#offset + buf.length);
    this.#offset += buf.length;
    return buf;
  }
}

/** The default source: node:crypto. */
export const cryptoRandom: RandomSource = new CryptoRandom();

const scratch = new Uint8Array(8);
const view = new DataView(scratch.buffer);

/** A uniform 32-bit unsigned integer. */
export function randomUint32(r: RandomSource): number {
  r.fill(scratch.subarray(0, 4));
  return view.getUint32(0, true);
}

/** A uniform integer in [0, n), without modulo bias (rejection sampling). n ≤ 2^32. */
export function randomBelow(r: RandomSource, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`randomBelow: n must be an integer in [1, 2^32] (received ${n})`);
  // The largest multiple of n that fits in 32 bits: draws at or above it are redrawn.
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = randomUint32(r);
    if (x < limit) return x % n;
  }
}

/** A uniform double in [0, 1) with 53 random bits (every value a multiple of 2^-53). */
export function randomUnit(r: RandomSource): number {
  r.fill(scratch);
  const hi = view.getUint32(0, true) >>> 5; // 27 bits
  const lo = view.getUint32(4, true) >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}
