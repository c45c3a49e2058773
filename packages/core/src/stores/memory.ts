/**
 * MemoryStore: budgets in this process, on lru-cache. Every decision is one synchronous critical
 * section (no await between check and charge), so concurrent calls in one process are exact.
 *
 * Memory is bounded by `maxKeys`. Evicting a caller's counters would hand them a fresh budget, so
 * this store never evicts live state: entries leave only when their window or period has passed
 * (or a concurrency/total counter is back to zero... totals never leave). When the store is full of
 * live entries, a *new* scope is refused with a StoreError (the guard's failure policy applies,
 * closed by default) while known callers keep being served. Counts are per process
 * (`localKeys: true`): behind N replicas, use RedisStore or divide limits by N.
 */
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../errors.js';
import type { DetectorOp, DetectorResult, DetectorStore } from './detector.js';
import { DetectorMemory } from './memory-detector.js';
import { type BudgetStore, type ConsumeResult, type LimitCheck, type LimitState, StoreError } from './types.js';

export interface MemoryStoreOptions {
  /** Most budget counters held at once (default 100,000). */
  readonly maxKeys?: number;
  /** Most detector keys held at once (default 100,000). */
  readonly maxDetectorKeys?: number;
  /** Bound on detector state, bytes (an estimate: 2 per character plus fixed overheads; default 64 MiB). */
  readonly maxDetectorBytes?: number;
  /** Clock in ms (default `Date.now`). Injectable for tests. */
  readonly now?: () => number;
}

interface Entry {
  /** Units used (window, total, concurrency) or the theoretical arrival time in µs (gcra). */
  value: number;
  /** When the entry can be forgotten, ms (Infinity: never). */
  expiresAt: number;
}

export class MemoryStore implements BudgetStore, DetectorStore {
  readonly name = 'memory';
  readonly localKeys = true;
  readonly #cache: LRUCache<string, Entry>;
  readonly #max: number;
  readonly #now: () => number;
  readonly #detectors: DetectorMemory;

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = options.maxKeys ?? 100_000;
    const maxDetectorKeys = options.maxDetectorKeys ?? 100_000;
    const maxDetectorBytes = options.maxDetectorBytes ?? 64 * 1024 * 1024;
    const issues = [];
    for (const [path, v] of [
      ['maxKeys', this.#max],
      ['maxDetectorKeys', maxDetectorKeys],
      ['maxDetectorBytes', maxDetectorBytes],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) issues.push({ path, rule: 'must be a positive integer', received: String(v) });
    }
    if (options.now !== undefined && typeof options.now !== 'function') issues.push({ path: 'now', rule: 'must be a function', received: typeof options.now });
    if (issues.length > 0) throw new ConfigError(issues, 'MemoryStore options');
    this.#now = options.now ?? Date.now;
    // `max` is one above what we ever hold: lru-cache must never evict on its own (see above).
    this.#cache = new LRUCache<string, Entry>({ max: this.#max + 1 });
    this.#detectors = new DetectorMemory({ maxKeys: maxDetectorKeys, maxBytes: maxDetectorBytes });
  }

  /** Detector keys held, and an estimate of their bytes (for tests and metrics). */
  get detectorState(): { readonly keys: number; readonly bytes: number } {
    return { keys: this.#detectors.size, bytes: this.#detectors.bytes };
  }

  updateSync(scope: string, ops: readonly DetectorOp[]): DetectorResult[] {
    return this.#detectors.update(scope, ops, this.#now());
  }

  update(scope: string, ops: readonly DetectorOp[]): Promise<DetectorResult[]> {
    try {
      return Promise.resolve(this.updateSync(scope, ops));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Live entries (for tests and metrics). */
  get size(): number {
    return this.#cache.size;
  }

  consume(scope: string, checks: readonly LimitCheck[]): Promise<ConsumeResult> {
    try {
      return Promise.resolve(this.consumeSync(scope, checks));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  refund(scope: string, checks: readonly LimitCheck[]): Promise<void> {
    this.refundSync(scope, checks);
    return Promise.resolve();
  }

  refundSync(scope: string, checks: readonly LimitCheck[]): void {
    const nowMs = this.#now();
    for (const c of checks) {
      if (c.cost <= 0) continue;
      const e = this.#live(`${scope}\u0000${c.key}`, nowMs);
      if (e === undefined) continue;
      if (c.kind === 'gcra') e.value = Math.max(nowMs * 1000, e.value - increment(c, c.cost));
      else e.value = Math.max(0, e.value - c.cost);
    }
  }

  #live(key: string, nowMs: number): Entry | undefined {
    // peek: recency is irrelevant here (nothing is ever evicted by age of use) and costs a list move.
    const e = this.#cache.peek(key);
    if (e !== undefined && e.expiresAt <= nowMs) {
      this.#cache.delete(key);
      return undefined;
    }
    return e;
  }

  consumeSync(scope: string, checks: readonly LimitCheck[]): ConsumeResult {
    const nowMs = this.#now();
    const nowUs = nowMs * 1000;
    const n = checks.length;
    const keys = new Array<string>(n);
    const entries = new Array<Entry | undefined>(n);
    let fresh = 0;
    const used = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const k = `${scope}\u0000${(checks[i] as LimitCheck).key}`;
      keys[i] = k;
      // An entry whose window or drain has passed counts as zero and is reused in place
      // (a GCRA entry of a steady caller expires between most calls: no delete and re-insert).
      const e = this.#cache.peek(k);
      entries[i] = e;
      used[i] = e !== undefined && e.expiresAt > nowMs ? e.value : 0;
      if (e === undefined) fresh++;
    }
    if (fresh > 0 && this.#cache.size + fresh > this.#max) {
      this.#purge(nowMs);
      if (this.#cache.size + fresh > this.#max) throw new StoreError(`memory store is full (${this.#max} live counters)`);
    }
    // Phase 1: would every check pass?
    const states: LimitState[] = [];
    let refusedBy: number | undefined;
    let retryAfterMs = 0;
    const next: number[] = [];
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i] as LimitCheck;
      const u = used[i] as number;
      let ok: boolean;
      if (c.kind === 'gcra') {
        const tat = Math.max(u, nowUs);
        const newTat = tat + increment(c, c.cost);
        const capacity = increment(c, c.burst ?? c.limit);
        ok = newTat - nowUs <= capacity;
        next.push(newTat);
        const after = ok ? newTat : tat;
        states.push({ remaining: Math.max(0, Math.floor((capacity - (after - nowUs)) / increment(c, 1))), resetMs: Math.ceil((after - nowUs) / 1000) });
        if (!ok && refusedBy === undefined) retryAfterMs = Math.ceil((newTat - nowUs - capacity) / 1000);
      } else {
        ok = u + c.cost <= c.limit;
        next.push(u + c.cost);
        const resetMs = c.kind === 'window' ? windowEnd(nowMs, c) - nowMs : 0;
        states.push({ remaining: Math.max(0, c.limit - (ok ? u + c.cost : u)), resetMs });
        if (!ok && refusedBy === undefined) retryAfterMs = c.kind === 'window' && c.cost <= c.limit ? resetMs : 0;
      }
      if (!ok && refusedBy === undefined) refusedBy = i;
    }
    if (refusedBy !== undefined) return { allowed: false, refusedBy, retryAfterMs, states };
    // Phase 2: charge all (still synchronous: nothing else ran in between).
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i] as LimitCheck;
      const e = entries[i];
      const value = next[i] as number;
      const expiresAt = c.kind === 'window' ? windowEnd(nowMs, c) : c.kind === 'gcra' ? Math.ceil(value / 1000) : Number.POSITIVE_INFINITY;
      if (e === undefined) this.#cache.set(keys[i] as string, { value, expiresAt });
      else {
        e.value = value;
        e.expiresAt = expiresAt;
      }
    }
    return { allowed: true, refusedBy: undefined, retryAfterMs: 0, states };
  }

  /** Drops entries whose window or period has passed, and drained concurrency counters. */
  #purge(nowMs: number): void {
    for (const [k, e] of this.#cache.entries()) {
      if (e.expiresAt <= nowMs || (e.value === 0 && e.expiresAt === Number.POSITIVE_INFINITY)) this.#cache.delete(k);
    }
  }
}

/** GCRA emission time of `units`, in µs (integer, rounded up so the rate is never exceeded). */
export function increment(c: LimitCheck, units: number): number {
  return Math.ceil((units * (c.periodMs ?? 1000) * 1000) / Math.max(1, c.limit));
}

/** End of the fixed window (aligned to the epoch) that contains `nowMs`. */
export function windowEnd(nowMs: number, c: LimitCheck): number {
  const p = c.periodMs ?? 1000;
  return (Math.floor(nowMs / p) + 1) * p;
}
