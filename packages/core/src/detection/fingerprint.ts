/**
 * Content fingerprints of a query, after Blacklight (Li et al., USENIX Security 2022): quantise
 * each feature into a few cells, slide a window over the quantised row, hash every window with its
 * position, and keep the `keep` largest hashes. Two queries that differ by a small perturbation
 * share most windows, so most of their fingerprints; unrelated rows share few. Query-based evasion
 * searches (score-based, HopSkipJump) send hundreds of such near-duplicates.
 *
 * The kept windows are then keyed with HMAC-SHA256 (a secret shared by the replicas), and only
 * those tokens reach the store: a quantised window of 8 pixels has so few values that an unkeyed
 * hash could be inverted by trying them all, and the store would hold the queries themselves.
 */
import { createHmac } from 'node:crypto';

/** Most window tokens cached (about 6 MB). */
const TOKEN_CACHE = 100_000;

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
  private readonly buf = Buffer.alloc(8);
  private readonly exactValues: Float64Array;
  /** Tokens by window hash, so a recurring window is keyed once (bounded; cleared when full). */
  private readonly tokenCache = new Map<number, string>();

  constructor(private readonly o: FingerprintOptions) {
    this.d = o.lo.length;
    this.q = new Uint8Array(this.d);
    this.windows = Math.max(1, this.d - o.window + 1);
    this.hashes = new Uint32Array(this.windows);
    this.exactValues = new Float64Array(this.d);
    this.scale = Float64Array.from(o.lo, (l, j) => {
      const range = (o.hi[j] as number) - l;
      return range > 0 ? o.levels / range : 0;
    });
  }

  /**
   * A token for the exact row as sent by one caller (every value's float64 bits, and the caller's
   * hash): equal only for a byte-identical repeat by the same caller, such as a retry.
   */
  exact(row: ArrayLike<number>, callerHash: string): string {
    const values = this.exactValues;
    for (let j = 0; j < this.d; j++) values[j] = row[j] as number;
    return createHmac('sha256', this.o.secret)
      .update(`exact:${callerHash}:`, 'utf8')
      .update(new Uint8Array(values.buffer, 0, this.d * 8))
      .digest('base64url')
      .slice(0, 16);
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
    // The `keep` largest distinct hashes (a typed-array sort is numeric and allocation-light).
    const sorted = hashes.slice().sort();
    const out: string[] = [];
    for (let i = sorted.length - 1; i >= 0 && out.length < this.o.keep; i--) {
      const h = sorted[i] as number;
      if (i < sorted.length - 1 && h === sorted[i + 1]) continue;
      let token = this.tokenCache.get(h);
      if (token === undefined) {
        this.buf.writeUInt32BE(h, 0);
        token = createHmac('sha256', this.o.secret).update(this.buf.subarray(0, 4)).digest('base64url').slice(0, 12);
        // Windows recur (backgrounds, common values): an HMAC costs more than the rest of the row.
        if (this.tokenCache.size >= TOKEN_CACHE) this.tokenCache.clear();
        this.tokenCache.set(h, token);
      }
      out.push(token);
    }
    return out;
  }
}
