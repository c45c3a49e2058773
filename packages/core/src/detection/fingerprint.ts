/**
 * Content fingerprints of a query, after Blacklight (Li et al., USENIX Security 2022): quantise
 * each feature into a few cells, slide a window over the quantised row, hash every window with its
 * position, and keep the `keep` largest hashes. Two queries that differ by a small perturbation
 * share most windows, so most of their fingerprints; unrelated rows share few. Query-based evasion
 * searches (score-based, HopSkipJump) send hundreds of such near-duplicates.
 *
 * The kept windows are then keyed (a secret shared by the replicas), and only those tokens reach
 * the store: a quantised window of 8 pixels has so few values that an unkeyed hash could be
 * inverted by trying them all, and the store would hold the queries themselves. The keyed function
 * is AES-256 on one block holding the window's 32-bit hash (a pseudorandom permutation of distinct
 * inputs, so a PRF; the key derived from the secret for this use alone), all of a row's new windows
 * in one cipher call: an HMAC-SHA256 per window cost ~2 µs each on Node 20, most of a 64-pixel
 * row's cost. The exact-repeat token takes a whole row and the caller's hash: SipHash-2-4, a
 * keyed PRF for short inputs (siphash.ts), under a key derived for that use alone.
 */
import { createCipheriv } from 'node:crypto';
import { deriveKey } from '../runtime/derive-key.js';
import { SipHash24 } from './siphash.js';

/**
 * Window tokens cached, direct-mapped by the window's hash (2^17 slots, about 6 MB when full): a
 * slot holds the last hash that landed there and its token. The Map keyed by the hash it replaced
 * was 8% of a near-duplicates call in a profile (most 32-bit hashes are heap numbers to V8).
 */
const TOKEN_CACHE_BITS = 17;

export interface FingerprintOptions {
  /** Per-feature lower and upper ends of the quantisation range (equal-width cells)… */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Cells per feature. */
  readonly levels: number;
  /**
   * …or per-feature cell edges, ascending (equal-frequency cells from a profile's percentiles):
   * a feature with a long tail (amounts) gets as many useful cells as a uniform one.
   */
  readonly edges?: readonly Float64Array[] | undefined;
  /** Features per window. */
  readonly window: number;
  /** Fingerprints kept per row. */
  readonly keep: number;
  readonly secret: Buffer;
}

export class Fingerprinter {
  private readonly q: Uint8Array;
  private readonly d: number;
  private readonly windows: number;
  private readonly hashes: Uint32Array;
  private readonly scale: Float64Array;
  /**
   * The exact-repeat message, reused: the caller hash's length (2 bytes), its characters (2 bytes
   * each), the row's float64s, all little-endian.
   */
  private exactMessage: DataView;
  private exactBytes: Uint8Array;
  private readonly exactTag = new Uint8Array(8);
  private readonly sip: SipHash24;
  /** Tokens by window hash, so a recurring window is keyed once: slot = low bits of the hash. */
  private readonly cachedHash = new Uint32Array(1 << TOKEN_CACHE_BITS);
  private readonly cachedToken: (string | undefined)[] = new Array(1 << TOKEN_CACHE_BITS).fill(undefined);
  /** The window hashes, sorted (reused: no array per row). */
  private readonly sorted: Uint32Array;
  private readonly cipher: ReturnType<typeof createCipheriv>;
  /** One 16-byte block per window still to key: its hash in the first word, zeros after. */
  private readonly blocks: Buffer;
  private readonly pending: number[] = [];
  private readonly pendingAt: number[] = [];

  constructor(private readonly o: FingerprintOptions) {
    this.d = o.lo.length;
    this.q = new Uint8Array(this.d);
    this.windows = Math.max(1, this.d - o.window + 1);
    this.hashes = new Uint32Array(this.windows);
    this.sorted = new Uint32Array(this.windows);
    this.exactBytes = new Uint8Array(2 + 2 * 64 + 8 * this.d);
    this.exactMessage = new DataView(this.exactBytes.buffer);
    const exactKey = deriveKey(o.secret, 'bulwark near-duplicate exact repeats v1');
    this.sip = new SipHash24(exactKey.subarray(0, 16));
    exactKey.fill(0);
    this.scale = Float64Array.from(o.lo, (l, j) => {
      const range = (o.hi[j] as number) - l;
      return range > 0 ? o.levels / range : 0;
    });
    const key = deriveKey(o.secret, 'bulwark near-duplicate windows v1');
    this.cipher = createCipheriv('aes-256-ecb', key, null);
    this.cipher.setAutoPadding(false);
    key.fill(0);
    this.blocks = Buffer.alloc(16 * Math.max(1, o.keep));
  }

  /**
   * A token for the exact row as sent by one caller (every value's float64 bits, and the caller's
   * hash): equal only for a byte-identical repeat by the same caller, such as a retry. 64 bits,
   * 11 base64url characters. The message is fixed-layout (the hash's length first), so no two
   * (caller, row) pairs give the same message.
   */
  exact(row: ArrayLike<number>, callerHash: string): string {
    const n = callerHash.length;
    const length = 2 + 2 * n + 8 * this.d;
    if (this.exactBytes.length < length) {
      this.exactBytes = new Uint8Array(length);
      this.exactMessage = new DataView(this.exactBytes.buffer);
    }
    const m = this.exactMessage;
    m.setUint16(0, n, true);
    for (let i = 0; i < n; i++) m.setUint16(2 + 2 * i, callerHash.charCodeAt(i), true);
    for (let j = 0; j < this.d; j++) m.setFloat64(2 + 2 * n + 8 * j, row[j] as number, true);
    this.sip.hash(this.exactBytes, length, this.exactTag);
    return Buffer.from(this.exactTag.buffer, this.exactTag.byteOffset, 8).toString('base64url');
  }

  /** The row's fingerprint tokens (distinct, printable). */
  tokens(row: ArrayLike<number>): string[] {
    const d = this.d;
    const q = this.q;
    const hashes = this.hashes;
    const windows = this.windows;
    const top = this.o.levels - 1;
    const edges = this.o.edges;
    for (let j = 0; j < d; j++) {
      const v = row[j] as number;
      if (edges) {
        // Binary search: the number of edges at or below v.
        const e = edges[j] as Float64Array;
        let a = 0;
        let b = e.length;
        while (a < b) {
          const m = (a + b) >>> 1;
          if ((e[m] as number) <= v) a = m + 1;
          else b = m;
        }
        q[j] = a;
        continue;
      }
      const c = Math.floor((v - (this.o.lo[j] as number)) * (this.scale[j] as number));
      q[j] = c < 0 ? 0 : c > top ? top : c;
    }
    const w = Math.min(this.o.window, d);
    for (let s = 0; s < windows; s++) {
      // FNV-1a over the window's cells, seeded with its position.
      let h = (0x811c9dc5 ^ s) >>> 0;
      for (let k = s; k < s + w; k++) h = Math.imul(h ^ (q[k] as number), 0x01000193) >>> 0;
      hashes[s] = h;
    }
    // The `keep` largest distinct hashes (a typed-array sort is numeric and in place).
    const sorted = this.sorted;
    sorted.set(hashes);
    sorted.sort();
    const mask = (1 << TOKEN_CACHE_BITS) - 1;
    const out: string[] = [];
    const pending = this.pending;
    const pendingAt = this.pendingAt;
    pending.length = 0;
    pendingAt.length = 0;
    for (let i = sorted.length - 1; i >= 0 && out.length < this.o.keep; i--) {
      const h = sorted[i] as number;
      if (i < sorted.length - 1 && h === sorted[i + 1]) continue;
      const slot = h & mask;
      const token = this.cachedHash[slot] === h ? this.cachedToken[slot] : undefined;
      if (token === undefined) {
        pending.push(h);
        pendingAt.push(out.length);
      }
      out.push(token ?? '');
    }
    if (pending.length > 0) {
      // Windows recur (backgrounds, common values): cached tokens skip the cipher.
      // Little-endian whatever the platform: replicas on any CPU compute the same tokens.
      this.blocks.fill(0, 0, 16 * pending.length);
      for (let k = 0; k < pending.length; k++) this.blocks.writeUInt32LE(pending[k] as number, 16 * k);
      const keyed = this.cipher.update(this.blocks.subarray(0, 16 * pending.length));
      for (let k = 0; k < pending.length; k++) {
        // 9 bytes, 12 base64url characters: 72 bits, as the HMAC tokens before.
        const token = keyed.toString('base64url', 16 * k, 16 * k + 9);
        const h = pending[k] as number;
        this.cachedHash[h & mask] = h;
        this.cachedToken[h & mask] = token;
        out[pendingAt[k] as number] = token;
      }
    }
    return out;
  }
}
