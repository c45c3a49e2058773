/**
 * Where a noisy answer's noise comes from, kept off the request path. The exact samplers loop
 * longer for larger noise, so a caller who times answers would learn the noise's size (Jin et al.
 * 2022); here every sample is drawn ahead of time, and an answer only reads memory:
 *
 * - `NoiseTable` (query-consistent noise, the default): N samples drawn when the guard starts;
 *   an answer's noise is the entries at indices given by a keyed PRF (HMAC-SHA256) of the caller
 *   and the quantised input. The same caller repeating the same query gets the same answer, so
 *   averaging repeats gains nothing. With a `secret`, the table and the PRF key derive from it
 *   (AES-256-CTR keystream from node:crypto) and every replica answers alike; without, both are
 *   random per process.
 * - `NoisePool` (fresh noise): a ring of samples, each used once, refilled in small chunks on
 *   `setImmediate` after answers; when a burst empties it, the answer is refused
 *   (`noise_unavailable`) rather than sampled on the request.
 */
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { BulwarkError } from '../errors.js';
import type { RandomSource } from '../runtime/random.js';
import { type NoiseScale, sampleNoise } from './mechanisms.js';
import { Bits } from './samplers.js';

/** A RandomSource reading the AES-256-CTR keystream of a key (a deterministic CSPRNG from node:crypto). */
export function keystream(key: Uint8Array): RandomSource {
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return {
    fill(buf: Uint8Array): Uint8Array {
      buf.fill(0);
      const ks = cipher.update(buf);
      buf.set(ks);
      ks.fill(0);
      return buf;
    },
  };
}

function derive(secret: string | Uint8Array, label: string): Buffer {
  return createHash('sha256').update(label).update(secret).digest();
}

/**
 * Quantises a row for the PRF: each value keeps `bits` significant bits of its mantissa (relative
 * rounding, scale-free), so perturbations below that step map to the same cell, and the cell's
 * noise, as long as they do not cross a cell boundary. Larger jitter gets fresh noise: averaging
 * n cells narrows it by √n, which the budget pays for (each answer is charged).
 */
export function quantiseRow(row: readonly number[], bits: number, out: Float64Array): Float64Array {
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v === 0 || !Number.isFinite(v)) {
      out[i] = Number.isFinite(v) ? 0 : v;
      continue;
    }
    const e = Math.floor(Math.log2(Math.abs(v)));
    const step = 2 ** (e - bits);
    out[i] = Math.round(v / step) * step;
  }
  return out;
}

export class NoiseTable {
  readonly size: number;
  readonly #values: Float64Array;
  readonly #prfKey: Buffer;
  readonly #mask: number;

  /** `size` must be a power of two (indices are PRF bits masked, without bias). */
  constructor(scale: NoiseScale, size: number, options: { secret?: string | Uint8Array | undefined; random: RandomSource }) {
    if (!Number.isSafeInteger(size) || size < 2 || (size & (size - 1)) !== 0 || size > 2 ** 24) {
      throw new RangeError(`noise table size must be a power of two in [2, 2^24] (received ${size})`);
    }
    this.size = size;
    this.#mask = size - 1;
    const source = options.secret === undefined ? options.random : keystream(derive(options.secret, 'bulwark noise table v1'));
    this.#prfKey = options.secret === undefined ? Buffer.from(options.random.fill(new Uint8Array(32))) : derive(options.secret, 'bulwark noise index v1');
    const bits = new Bits(source);
    this.#values = new Float64Array(size);
    for (let i = 0; i < size; i++) this.#values[i] = sampleNoise(bits, scale);
  }

  /**
   * Writes `count` noise samples for (caller, quantised row) into `out`: 8 indices per HMAC
   * block, each the low bits of a 32-bit word (size ≤ 2^24, a power of two: no bias).
   */
  noiseFor(caller: string, row: Float64Array, count: number, out: Float64Array): void {
    let filled = 0;
    for (let block = 0; filled < count; block++) {
      const h = createHmac('sha256', this.#prfKey);
      h.update(caller);
      h.update(new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
      h.update(Uint8Array.of(block));
      const d = h.digest();
      for (let w = 0; w < 8 && filled < count; w++) out[filled++] = this.#values[d.readUInt32LE(w * 4) & this.#mask] as number;
    }
  }

  /** Entry i (audits and tests). */
  at(i: number): number {
    return this.#values[i & this.#mask] as number;
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
