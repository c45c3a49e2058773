/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", INDOCRYPT 2012): a keyed
 * pseudorandom function with a 128-bit key and a 64-bit tag, built for short inputs. Used for
 * near-duplicates' exact-repeat token, one per row: node:crypto's HMAC-SHA256 costs about 1.7 µs
 * a call on Node 20, almost all of it per call rather than per byte, and its objects are garbage
 * for every row. Checked against the reference implementation's 64 test vectors
 * (siphash.test.ts).
 *
 * JavaScript has no fast 64-bit integers, so every 64-bit word is two 32-bit halves (high, low),
 * held as int32; an addition carries from the low half into the high one.
 */

export class SipHash24 {
  readonly #k0h: number;
  readonly #k0l: number;
  readonly #k1h: number;
  readonly #k1l: number;

  /** `key`: 16 bytes (k0 and k1, each little-endian). */
  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError('SipHash-2-4 takes a 16-byte key');
    this.#k0l = le32(key, 0);
    this.#k0h = le32(key, 4);
    this.#k1l = le32(key, 8);
    this.#k1h = le32(key, 12);
  }

  /** Writes the tag of `m[0, length)` to `out[0, 8)`, little-endian (as the reference does). */
  hash(m: Uint8Array, length: number, out: Uint8Array): void {
    // "somepseudorandomlygeneratedbytes", xored with the key.
    let v0h = 0x736f6d65 ^ this.#k0h;
    let v0l = 0x70736575 ^ this.#k0l;
    let v1h = 0x646f7261 ^ this.#k1h;
    let v1l = 0x6e646f6d ^ this.#k1l;
    let v2h = 0x6c796765 ^ this.#k0h;
    let v2l = 0x6e657261 ^ this.#k0l;
    let v3h = 0x74656462 ^ this.#k1h;
    let v3l = 0x79746573 ^ this.#k1l;
    const full = length >>> 3;
    // Words 0 … full − 1 are the message's whole 8-byte words, word `full` its tail with the
    // length in the top byte; then finalisation (v2 ^= 0xff, four rounds).
    for (let w = 0; w <= full + 1; w++) {
      let mh = 0;
      let ml = 0;
      let rounds = 2;
      if (w < full) {
        ml = le32(m, 8 * w);
        mh = le32(m, 8 * w + 4);
      } else if (w === full) {
        mh = (length & 0xff) << 24;
        for (let j = 0; j < (length & 7); j++) {
          const b = m[8 * full + j] as number;
          if (j < 4) ml |= b << (8 * j);
          else mh |= b << (8 * (j - 4));
        }
      } else {
        v2l ^= 0xff;
        rounds = 4;
      }
      if (w <= full) {
        v3h ^= mh;
        v3l ^= ml;
      }
      for (let r = 0; r < rounds; r++) {
        let l = (v0l >>> 0) + (v1l >>> 0); // v0 += v1
        v0h = (v0h + v1h + (l > 0xffffffff ? 1 : 0)) | 0;
        v0l = l | 0;
        let t = v1h; // v1 = rotl(v1, 13) ^ v0
        v1h = ((v1h << 13) | (v1l >>> 19)) ^ v0h;
        v1l = ((v1l << 13) | (t >>> 19)) ^ v0l;
        t = v0h; // v0 = rotl(v0, 32)
        v0h = v0l;
        v0l = t;
        l = (v2l >>> 0) + (v3l >>> 0); // v2 += v3
        v2h = (v2h + v3h + (l > 0xffffffff ? 1 : 0)) | 0;
        v2l = l | 0;
        t = v3h; // v3 = rotl(v3, 16) ^ v2
        v3h = ((v3h << 16) | (v3l >>> 16)) ^ v2h;
        v3l = ((v3l << 16) | (t >>> 16)) ^ v2l;
        l = (v0l >>> 0) + (v3l >>> 0); // v0 += v3
        v0h = (v0h + v3h + (l > 0xffffffff ? 1 : 0)) | 0;
        v0l = l | 0;
        t = v3h; // v3 = rotl(v3, 21) ^ v0
        v3h = ((v3h << 21) | (v3l >>> 11)) ^ v0h;
        v3l = ((v3l << 21) | (t >>> 11)) ^ v0l;
        l = (v2l >>> 0) + (v1l >>> 0); // v2 += v1
        v2h = (v2h + v1h + (l > 0xffffffff ? 1 : 0)) | 0;
        v2l = l | 0;
        t = v1h; // v1 = rotl(v1, 17) ^ v2
        v1h = ((v1h << 17) | (v1l >>> 15)) ^ v2h;
        v1l = ((v1l << 17) | (t >>> 15)) ^ v2l;
        t = v2h; // v2 = rotl(v2, 32)
        v2h = v2l;
        v2l = t;
      }
      if (w <= full) {
        v0h ^= mh;
        v0l ^= ml;
      }
    }
    writeLe32(out, 0, v0l ^ v1l ^ v2l ^ v3l);
    writeLe32(out, 4, v0h ^ v1h ^ v2h ^ v3h);
  }
}

function le32(b: Uint8Array, o: number): number {
  return (b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24);
}

function writeLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
