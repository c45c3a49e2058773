/**
 * Exact samplers for differential-privacy noise (Canonne, Kamath & Steinke 2020, "The Discrete
 * Gaussian for Differential Privacy", Algorithms 1-3; the construction OpenDP implements). Every
 * probability is a ratio of integers and every draw a uniform integer from random bytes: no
 * `Math.log`, no `Math.exp`, no floating point anywhere a sample's distribution depends on, so the
 * samples have exactly the distribution the proofs assume (Mironov 2012 showed what floating-point
 * Laplace leaks).
 *
 * Integers are JS numbers, kept below 2^53 where every operation here is exact; each product that
 * could pass it is checked (`safe`) and throws rather than round. The discrete Gaussian needs
 * squares of scales and uses bigint for them.
 *
 * These loops run longer for larger noise: a caller who can time them learns the noise's size
 * (Jin et al. 2022). They never run on a request: see noise-source.ts.
 */
import type { RandomSource } from '../runtime/random.js';

const TWO_32 = 2 ** 32;
const TWO_53 = 2 ** 53;
const BLOCK = 1024;

function safe(n: number): number {
  if (!(n < TWO_53)) throw new RangeError(`sampler arithmetic would exceed 2^53 (${n}); use a coarser grid or a larger epsilon`);
  return n;
}

/**
 * Uniform bits, read from a RandomSource in blocks (one `fill` per KiB, not one per draw). The
 * block is wiped as it is read.
 */
export class Bits {
  readonly #source: RandomSource;
  readonly #block = new Uint8Array(BLOCK);
  // Uniform bytes read as words in the platform's byte order: still uniform words.
  readonly #words = new Uint32Array(this.#block.buffer);
  #at = BLOCK / 4;

  constructor(source: RandomSource) {
    this.#source = source;
  }

  uint32(): number {
    if (this.#at === BLOCK / 4) {
      this.#source.fill(this.#block);
      this.#at = 0;
    }
    const v = this.#words[this.#at] as number;
    this.#words[this.#at++] = 0;
    return v;
  }

  bit(): number {
    return this.uint32() & 1;
  }

  /** A uniform integer in [0, n), n ≤ 2^53, by rejection (no modulo bias). */
  below(n: number): number {
    if (n <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const x = this.uint32();
        if (x < limit) return x % n;
      }
    }
    if (!(n <= TWO_53) || !Number.isInteger(n)) throw new RangeError(`below: n must be an integer <= 2^53 (received ${n})`);
    const limit = TWO_53 - (TWO_53 % n); // % on doubles is exact
    for (;;) {
      const x = (this.uint32() & 0x1fffff) * TWO_32 + this.uint32(); // 53 bits
      if (x < limit) return x % n;
    }
  }

  /** A uniform bigint in [0, n), by rejection. */
  belowBig(n: bigint): bigint {
    if (n <= BigInt(TWO_53)) return BigInt(this.below(Number(n)));
    const words = Math.ceil(n.toString(2).length / 32);
    const range = 1n << BigInt(32 * words);
    const limit = range - (range % n);
    for (;;) {
      let x = 0n;
      for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(this.uint32());
      if (x < limit) return x % n;
    }
  }
}

/** Bernoulli(num / den), exact: 0 ≤ num ≤ den. */
export function bernoulli(bits: Bits, num: number, den: number): boolean {
  return bits.below(den) < num;
}

/** Bernoulli(exp(-num/den)) for num/den in [0, 1] (CKS20 Algorithm 1, the γ ≤ 1 case). */
export function bernoulliExp1(bits: Bits, num: number, den: number): boolean {
  let k = 1;
  while (bernoulli(bits, num, safe(den * k))) k++;
  return k % 2 === 1;
}

/** Bernoulli(exp(-num/den)) for any num/den ≥ 0. */
export function bernoulliExp(bits: Bits, num: number, den: number): boolean {
  let n = num;
  while (n > den) {
    if (!bernoulliExp1(bits, 1, 1)) return false;
    n -= den;
  }
  return bernoulliExp1(bits, n, den);
}

/**
 * A geometric sample with P(X = k) ∝ exp(-k / scale), scale = num / den > 0 (CKS20 Algorithm 2:
 * a uniform remainder accepted with probability exp(-u/num), plus num times a geometric of ratio
 * 1/e, divided by den).
 */
export function geometricExp(bits: Bits, num: number, den: number): number {
  let u: number;
  do u = bits.below(num);
  while (!bernoulliExp(bits, u, num));
  let v = 0;
  while (bernoulliExp1(bits, 1, 1)) v++;
  return Math.floor(safe(u + safe(num * v)) / den);
}

/**
 * Discrete Laplace on the integers, P(z) ∝ exp(-|z| / scale), scale = num / den > 0 (CKS20
 * Algorithm 2). (negative, 0) is rejected so that 0 is not counted twice.
 */
export function discreteLaplace(bits: Bits, num: number, den: number): number {
  for (;;) {
    const negative = bits.bit() === 1;
    const magnitude = geometricExp(bits, num, den);
    if (!(negative && magnitude === 0)) return negative ? -magnitude : magnitude;
  }
}

/** Bernoulli(exp(-num/den)) with bigint num, den (used by the discrete Gaussian's acceptance test). */
function bernoulliExpBig(bits: Bits, num: bigint, den: bigint): boolean {
  let n = num;
  while (n > den) {
    if (!bernoulliExp1(bits, 1, 1)) return false;
    n -= den;
  }
  let k = 1n;
  while (bits.belowBig(den * k) < n) k++;
  return k % 2n === 1n;
}

/**
 * Discrete Gaussian on the integers, P(z) ∝ exp(-z² / (2σ²)), σ² = sigma2Num / sigma2Den (CKS20
 * Algorithm 3: discrete Laplace proposals of scale t = ⌊σ⌋ + 1, accepted with probability
 * exp(-(|y| - σ²/t)² / (2σ²))).
 */
export function discreteGaussian(bits: Bits, sigma2Num: bigint, sigma2Den: bigint): number {
  const s2n = sigma2Num;
  const s2d = sigma2Den;
  // t = ⌊σ⌋ + 1 from the integer square root of ⌊σ²⌋, exactly.
  const t = isqrt(s2n / s2d) + 1n;
  const tn = safe(Number(t));
  for (;;) {
    const y = discreteLaplace(bits, tn, 1);
    const a = BigInt(Math.abs(y));
    // (|y| - σ²/t)² / (2σ²) = (|y|·t·s2d - s2n)² / (t²·s2d² · 2·s2n/s2d) = (|y|·t·s2d - s2n)² / (2·t²·s2d·s2n)
    const d = a * t * s2d - s2n;
    if (bernoulliExpBig(bits, d * d, 2n * t * t * s2d * s2n)) return y;
  }
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}
