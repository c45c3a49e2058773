/**
 * What one process keeps of its callers' PRADA state between calls, so that a call neither
 * fetches nor decodes the caller's growing sets and distance windows again (parsing a window of
 * 1,000 and sorting it for W cost more than everything else in a call; on Redis, sending the lists
 * cost milliseconds).
 *
 * The store stays the truth: a kept list is used only while the store's stamp for it is the one
 * this process saw when it last wrote it (detector contract: equal stamps, same list). Another
 * replica's write or an expiry changes the stamp, and the call reads the list again. An entry is
 * taken out while a call works on it and put back only after the call's write succeeded with the
 * expected stamp before it, so a failed or raced write never leaves a list that is not the store's.
 * A store without stamps keeps nothing here: every call reads the lists.
 */

/** Decoded lists by key with the stamp they match, bounded by an estimate of their bytes; the least recently used go first. */
export class DecodedLists {
  readonly #entries = new Map<string, { stamp: string; values: unknown; bytes: number }>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Whether something is kept for `key` (then the call may ask the store for the stamp only). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The values kept for `key` if they match the store's `stamp`; the entry leaves the cache either way. */
  take<T>(key: string, stamp: string | undefined): T | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
    return stamp !== undefined && e.stamp === stamp ? (e.values as T) : undefined;
  }

  put(key: string, stamp: string, values: unknown, bytes: number): void {
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= old.bytes;
    }
    if (bytes > this.#maxBytes) return;
    this.#entries.set(key, { stamp, values, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }
}

/**
 * A caller's pooled distances: in arrival order (the store's list, oldest first, with their
 * running moments) and the same values kept sorted, which Shapiro-Wilk needs; a new distance is
 * one binary search and one move.
 */
export class SortedWindow {
  readonly #arrival: Distances;
  #sorted: Float64Array;
  #n = 0;

  constructor(texts: readonly string[]) {
    this.#arrival = new Distances(texts);
    this.#sorted = new Float64Array(Math.max(16, texts.length * 2));
    this.#sorted.set(this.#arrival.values);
    this.#n = texts.length;
    this.#sorted.subarray(0, this.#n).sort();
  }

  get length(): number {
    return this.#n;
  }

  /** The values in arrival order, oldest first (the store's list). */
  get arrival(): readonly number[] {
    return this.#arrival.values;
  }

  /** Appends a distance (its stored text), dropping the oldest beyond `max`. */
  push(text: string, max: number): void {
    while (this.#n >= max) this.#remove(this.#arrival.shift());
    const value = Number(text);
    this.#arrival.push(value);
    if (this.#n === this.#sorted.length) {
      const grown = new Float64Array(this.#sorted.length * 2);
      grown.set(this.#sorted);
      this.#sorted = grown;
    }
    const at = this.#upperBound(value);
    this.#sorted.copyWithin(at + 1, at, this.#n);
    this.#sorted[at] = value;
    this.#n++;
  }

  /** The sorted values within `k` sds of their mean (all when `k` is 0), a view, not a copy. */
  sortedWithin(k: number): Float64Array {
    const x = this.#sorted.subarray(0, this.#n);
    if (k <= 0 || this.#n < 2) return x;
    const lo = this.#arrival.mean - k * this.#arrival.sd;
    const hi = this.#arrival.mean + k * this.#arrival.sd;
    let from = 0;
    let to = x.length;
    while (from < to && (x[from] as number) < lo) from++;
    while (to > from && (x[to - 1] as number) > hi) to--;
    return x.subarray(from, to);
  }

  /** Bytes this window holds, roughly (values in arrival order, the sorted copy). */
  get bytes(): number {
    return this.#n * 16 + this.#sorted.length * 8;
  }

  #remove(value: number): void {
    const at = this.#upperBound(value) - 1; // the last copy of the value
    this.#sorted.copyWithin(at, at + 1, this.#n);
    this.#n--;
  }

  /** The first index whose value is greater than `value`. */
  #upperBound(value: number): number {
    let lo = 0;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#sorted[mid] as number) <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Distances in arrival order with their running sum and sum of squares: mean and sd without a
 * pass over the window (the growing set's threshold, mean − sd, for every row; the pooled
 * window's trim). Distances and their logs are of order 1, so the cancellation in the sums costs
 * nothing that matters here.
 */
export class Distances {
  readonly values: number[];
  #sum = 0;
  #sumSq = 0;

  constructor(texts: readonly string[]) {
    this.values = texts.map(Number);
    for (const v of this.values) {
      this.#sum += v;
      this.#sumSq += v * v;
    }
  }

  get mean(): number {
    return this.values.length === 0 ? 0 : this.#sum / this.values.length;
  }

  /** Sample standard deviation (0 for fewer than two values). */
  get sd(): number {
    const n = this.values.length;
    if (n < 2) return 0;
    const mean = this.#sum / n;
    return Math.sqrt(Math.max(0, (this.#sumSq - n * mean * mean) / (n - 1)));
  }

  push(value: number): void {
    this.values.push(value);
    this.#sum += value;
    this.#sumSq += value * value;
  }

  /** Removes and returns the oldest (shift: V8 moves the array's start, no copy). */
  shift(): number {
    const v = this.values.shift() as number;
    this.#sum -= v;
    this.#sumSq -= v * v;
    return v;
  }

  /** Drops the oldest beyond `max`. */
  keepLast(max: number): void {
    while (this.values.length > max) this.shift();
  }
}
