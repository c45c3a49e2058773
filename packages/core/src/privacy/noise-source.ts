/**
 * Where a noisy answer's noise comes from, kept off the request path. The exact samplers loop
 * longer for larger noise, so a caller who times answers would learn the noise's size (Jin et al.
 * 2022); here no answer waits on such a loop:
 *
 * - `ConsistentNoise` (query-consistent noise, the default for Laplace): computed on the request,
 *   but in constant work (fixed comparisons of PRF words, no loop that depends on the noise); the
 *   PRF is keyed by a secret, so the same caller repeating the same query gets the same answer and
 *   averaging repeats gains nothing. With a `secret`, every replica answers alike; without, the
 *   key is random per process.
 * - `NoisePool` (fresh noise): a ring of samples, each used once, refilled in small chunks on
 *   `setImmediate` after answers; when a burst empties it, the answer is refused
 *   (`noise_unavailable`) rather than sampled on the request.
 */
import * as nodeCrypto from 'node:crypto';
import { createCipheriv, createHash } from 'node:crypto';
import { BulwarkError } from '../errors.js';
import { deriveKey } from '../runtime/derive-key.js';
import type { RandomSource } from '../runtime/random.js';
import { type NoiseScale, sampleNoise } from './mechanisms.js';
import { Bits } from './samplers.js';

const POW2 = Array.from({ length: 64 }, (_, j) => 2 ** j);

/** SHA-256, one-shot where Node has `crypto.hash` (20.12+): a third cheaper than a hash object per call. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;
const _sha256 = (data: Uint8Array): Buffer => (oneShot !== undefined ? oneShot('sha256', data, 'buffer') : createHash('sha256').update(data).digest());

/**
 * Quantises a row for the PRF: each value keeps `bits` significant bits of its mantissa (relative
 * rounding, scale-free), with steps never finer than 2^-20 (so values near 0, where relative steps
 * vanish, fall in one cell). Perturbations below the step map to the same cell, and the same
 * noise, unless they cross a cell boundary. Larger jitter gets fresh noise: averaging n cells
 * narrows it by √n, and the ledger charges each of those answers.
 */
export function quantiseRow(row: readonly number[], bits: number, out: Float64Array): Float64Array {
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v === 0 || !Number.isFinite(v)) {
      out[i] = Number.isFinite(v) ? 0 : v;
      continue;
    }
    const e = Math.floor(Math.log2(Math.abs(v)));
    const step = Math.max(2 ** (e - bits), MIN_STEP);
    out[i] = Math.round(v / step) * step;
  }
  return out;
}

const MIN_STEP = 2 ** -20;

/**
 * Query-consistent discrete Laplace noise in constant work. Discrete Laplace is the difference
 * of two independent geometrics, and a geometric's binary digits are independent Bernoullis
 * (digit j is 1 with probability q^(2^j) / (1 + q^(2^j)), q = e^(-1/scale)); so a sample is a
 * fixed number of comparisons of uniform 64-bit words against fixed thresholds: the same work
 * whatever the noise turns out to be. The words are AES-256 of (SHA-256 of caller and quantised
 * row, counter) under a secret key, a PRF: the same caller asking the same question reads the
 * same words and gets the same noise.
 *
 * Not exact like the samplers: each digit's probability is a double rounded to a multiple of
 * 2^-64, and the geometric is cut where a digit's probability falls below 2^-64. The noise is
 * within total variation 2^-46 of the exact discrete Laplace: (ε, δ)-DP with δ ≤ (1 + e^ε)·2^-46
 * per answer (docs/privacy.md), which the audit cannot tell from pure ε.
 */
export class ConsistentNoise {
  /** Digits per geometric. */
  readonly digits: number;
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;
  readonly #cipher: ReturnType<typeof createCipheriv>;
  #blocks = Buffer.alloc(0);
  #blockWords = new Uint32Array(0);
  #words = new Uint32Array(0);

  constructor(scale: NoiseScale, options: { secret?: string | Uint8Array | undefined; random: RandomSource }) {
    if (scale.kind !== 'laplace') throw new RangeError('consistent noise is discrete Laplace only; use fresh noise for the discrete Gaussian');
    const t = Number(scale.num) / Number(scale.den);
    // Digits up to where q^(2^j) < 2^-64 (then every threshold is 0).
    this.digits = Math.max(1, Math.ceil(Math.log2(64 * Math.LN2 * t)) + 1);
    this.#hi = new Uint32Array(this.digits);
    this.#lo = new Uint32Array(this.digits);
    for (let j = 0; j < this.digits; j++) {
      const p = 1 / (1 + Math.exp(2 ** j / t)); // q^(2^j) / (1 + q^(2^j))
      const hi = Math.floor(p * 2 ** 32);
      this.#hi[j] = hi;
      this.#lo[j] = Math.floor((p * 2 ** 32 - hi) * 2 ** 32);
    }
    const key = options.secret === undefined ? Buffer.from(options.random.fill(new Uint8Array(32))) : deriveKey(options.secret, 'bulwark consistent noise v1');
    this.#cipher = createCipheriv('aes-256-ecb', key, null);
    this.#cipher.setAutoPadding(false);
    key.fill(0);
  }

  /** Writes `count` noise samples (grid units) for (caller, quantised row) into `out`. */
  noiseFor(caller: string, row: Float64Array, count: number, out: Float64Array): void {
    const nonce = createHash('sha256')
      .update(caller)
      .update(new Uint8Array(row.buffer, row.byteOffset, row.byteLength))
      .digest();
    // Each 16-byte block: 12 bytes of the nonce, a 4-byte counter; each gives two 64-bit words.
    const words = 2 * this.digits * count;
    const blocks = Math.ceil(words / 2);
    if (this.#blocks.length < blocks * 16) {
      this.#blocks = Buffer.alloc(blocks * 16);
      this.#blockWords = new Uint32Array(this.#blocks.buffer, this.#blocks.byteOffset, blocks * 4);
    }
    // Word-wise: 12 bytes of nonce and a counter per block (Buffer.copy per block costs more than the AES).
    const n0 = nonce.readUInt32LE(0);
    const n1 = nonce.readUInt32LE(4);
    const n2 = nonce.readUInt32LE(8);
    const bw = this.#blockWords;
    for (let b = 0; b < blocks; b++) {
      bw[4 * b] = n0;
      bw[4 * b + 1] = n1;
      bw[4 * b + 2] = n2;
      bw[4 * b + 3] = b;
    }
    const stream = this.#cipher.update(this.#blocks.subarray(0, blocks * 16));
    if (this.#words.length < blocks * 4) this.#words = new Uint32Array(blocks * 4);
    const u = this.#words;
    new Uint8Array(u.buffer, 0, stream.length).set(stream); // aligned copy; uniform words in any byte order
    const hi = this.#hi;
    const lo = this.#lo;
    let w = 0;
    for (let i = 0; i < count; i++) {
      let g1 = 0;
      let g2 = 0;
      for (let j = 0; j < this.digits; j++) {
        const h1 = u[w++] as number;
        const l1 = u[w++] as number;
        const h2 = u[w++] as number;
        const l2 = u[w++] as number;
        const H = hi[j] as number;
        const L = lo[j] as number;
        // Digit j of each geometric: word < threshold, without a branch on the word.
        const d1 = +(h1 < H) | (+(h1 === H) & +(l1 < L));
        const d2 = +(h2 < H) | (+(h2 === H) & +(l2 < L));
        const weight = POW2[j] as number;
        g1 += d1 * weight;
        g2 += d2 * weight;
      }
      out[i] = g1 - g2;
    }
    stream.fill(0);
    u.fill(0);
  }
}

export class NoisePool {
  readonly capacity: number;
  readonly #ring: Float64Array;
  readonly #bits: Bits;
  readonly #scale: NoiseScale;
  #head = 0;
  #count = 0;
  #scheduled = false;
  #closed = false;
  /** Samples refused for lack of noise since start (telemetry). */
  starved = 0;

  constructor(scale: NoiseScale, capacity: number, random: RandomSource) {
    this.capacity = capacity;
    this.#ring = new Float64Array(capacity);
    this.#bits = new Bits(random);
    this.#scale = scale;
    this.refillNow(capacity);
  }

  get available(): number {
    return this.#count;
  }

  /** Draws up to `n` samples now (start-up and tests; never on a request). */
  refillNow(n: number): void {
    const room = Math.min(n, this.capacity - this.#count);
    for (let i = 0; i < room; i++) {
      this.#ring[(this.#head + this.#count) % this.capacity] = sampleNoise(this.#bits, this.#scale);
      this.#count++;
    }
  }

  /** Takes `count` samples into `out`, or refuses the answer when the pool cannot cover it. */
  take(count: number, out: Float64Array): void {
    if (this.#count < count) {
      this.starved++;
      this.#schedule();
      throw new BulwarkError('noise_unavailable', 'privacy noise is being replenished; retry shortly', { retryAfterSeconds: 1 });
    }
    for (let i = 0; i < count; i++) {
      out[i] = this.#ring[this.#head] as number;
      this.#ring[this.#head] = 0;
      this.#head = (this.#head + 1) % this.capacity;
    }
    this.#count -= count;
    if (this.#count < this.capacity / 2) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    // Chunks of 1,024 samples (~0.3 ms): requests interleave with the refill.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#closed) return;
      this.refillNow(1024);
      if (this.#count < this.capacity) this.#schedule();
    }).unref();
  }

  close(): void {
    this.#closed = true;
  }
}
