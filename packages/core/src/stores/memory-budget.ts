/**
 * Budget counters in process: the `BudgetStore` half of MemoryStore. Every decision is one
 * synchronous critical section (no await between check and charge), so concurrent calls in one
 * process are exact.
 *
 * Bounds, and what a flood of new identities can do to them:
 * - At most `maxKeys` counters for known callers. Live counters are never evicted (that would hand
 *   a caller a fresh budget); expired ones are swept a few per call by a rotating cursor, so one
 *   decision costs O(1) whatever the store holds (no full purge on the request path).
 * - When the store is full of live counters, a caller it has never seen is charged to a shared
 *   overflow bucket named by the guard (`overflowScope`, e.g. the caller's address prefix), with the
 *   same limits, in a reserved region of `overflowKeys` counters; if that region is full too, to one
 *   last bucket (`overflow:*`). So a flood can neither lock out callers the store knows (they keep
 *   their counters) nor escape its limits (its new identities share buckets); new callers in the
 *   flooder's bucket share its fate. Without an overflow scope (the privacy ledger) a full store
 *   refuses with a StoreError: the ledger fails closed.
 * - Concurrency slots are leases that expire on their own (a lost release costs at most the lease).
 */
import { type ConsumeOptions, type ConsumeResult, type LimitCheck, type LimitState, StoreError } from './types.js';

interface Entry {
  /** Units used (window, total) or the theoretical arrival time in µs (gcra). */
  value: number;
  /** When the entry can be forgotten, ms (Infinity: never). */
  expiresAt: number;
  /** window: start of the window `value` counts. */
  windowStart: number;
  /** concurrency: lease id → expiry, ms. */
  leases: Map<string, number> | undefined;
}

export interface BudgetMemoryOptions {
  readonly maxKeys: number;
  readonly overflowKeys: number;
}

/** Counters examined for expiry on every decision, and once more when the store is full. */
const SWEEP = 4;
const SWEEP_WHEN_FULL = 64;
const LEASE_ID = /^[\x21-\x7e]{1,64}$/;
const MAX_LEASE_MS = 86_400_000;

class SweptMap {
  readonly map = new Map<string, Entry>();
  #cursor: MapIterator<[string, Entry]> | undefined;

  /** Examines the next `n` entries in a round over the map, dropping expired ones. */
  sweep(nowMs: number, n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.#cursor === undefined) this.#cursor = this.map.entries();
      const next = this.#cursor.next();
      if (next.done) {
        this.#cursor = undefined;
        if (this.map.size === 0) return;
        continue;
      }
      const [k, e] = next.value;
      if (expired(e, nowMs)) this.map.delete(k);
    }
  }
}

function expired(e: Entry, nowMs: number): boolean {
  if (e.leases !== undefined) {
    for (const [id, until] of e.leases) if (until <= nowMs) e.leases.delete(id);
    return e.leases.size === 0;
  }
  return e.expiresAt <= nowMs;
}

export class BudgetMemory {
  readonly #main = new SweptMap();
  readonly #overflow = new SweptMap();
  readonly #maxKeys: number;
  readonly #overflowKeys: number;
  /** Entries examined by sweeps (for tests: the cost of a call is bounded). */
  swept = 0;

  constructor(options: BudgetMemoryOptions) {
    this.#maxKeys = options.maxKeys;
    this.#overflowKeys = options.overflowKeys;
  }

  get size(): number {
    return this.#main.map.size;
  }
  get overflowSize(): number {
    return this.#overflow.map.size;
  }

  consume(scope: string, checks: readonly LimitCheck[], nowMs: number, options?: ConsumeOptions): ConsumeResult {
    checkLeases(checks);
    this.#sweep(this.#main, nowMs, SWEEP);
    const n = checks.length;
    const keys = new Array<string>(n);
    const entries = new Array<Entry | undefined>(n);
    // One key string and one lookup per check.
    const fresh = lookup(this.#main.map, scope, checks, keys, entries);
    if (fresh === 0 || this.#main.map.size + fresh <= this.#maxKeys) return decide(this.#main.map, keys, entries, checks, nowMs);
    this.#sweep(this.#main, nowMs, SWEEP_WHEN_FULL);
    if (this.#main.map.size + fresh <= this.#maxKeys) return decide(this.#main.map, keys, entries, checks, nowMs);
    if (options?.overflowScope === undefined) throw new StoreError(`memory store is full (${this.#maxKeys} live counters)`);
    const area = this.#overflow;
    let charged = `overflow:${options.overflowScope}`;
    let more = lookup(area.map, charged, checks, keys, entries);
    if (more > 0 && area.map.size + more > this.#overflowKeys) {
      this.#sweep(area, nowMs, SWEEP_WHEN_FULL);
      // The last bucket always takes the call: a handful of counters, one per kind of limit.
      if (area.map.size + more > this.#overflowKeys) {
        charged = 'overflow:*';
        more = lookup(area.map, charged, checks, keys, entries);
      }
    }
    return { ...decide(area.map, keys, entries, checks, nowMs), scope: charged };
  }

  refund(scope: string, checks: readonly LimitCheck[], nowMs: number): void {
    checkLeases(checks);
    const area = scope.startsWith('overflow:') ? this.#overflow : this.#main;
    for (const c of checks) {
      const e = area.map.get(keyOf(scope, c));
      if (e === undefined) continue;
      if (c.kind === 'concurrency') {
        if (c.lease !== undefined) e.leases?.delete(c.lease.id);
        continue;
      }
      if (c.cost <= 0 || e.expiresAt <= nowMs) continue;
      if (c.kind === 'gcra') e.value = Math.max(nowMs * 1000, e.value - increment(c, c.cost));
      else if (c.kind === 'window') {
        // Never into another window than the one charged.
        if (c.windowStart !== undefined && c.windowStart !== e.windowStart) continue;
        e.value = Math.max(0, e.value - c.cost);
      } else e.value = Math.max(0, e.value - c.cost);
    }
  }

  #sweep(area: SweptMap, nowMs: number, n: number): void {
    this.swept += Math.min(n, area.map.size);
    area.sweep(nowMs, n);
  }
}

function keyOf(scope: string, c: LimitCheck): string {
  return `${scope}\u0000${c.key}`;
}

/** Fills the keys and entries of `scope`'s checks; returns how many entries do not exist yet. */
function lookup(map: Map<string, Entry>, scope: string, checks: readonly LimitCheck[], keys: string[], entries: (Entry | undefined)[]): number {
  let fresh = 0;
  for (let i = 0; i < checks.length; i++) {
    const k = keyOf(scope, checks[i] as LimitCheck);
    keys[i] = k;
    const e = map.get(k);
    entries[i] = e;
    if (e === undefined) fresh++;
  }
  return fresh;
}

function checkLeases(checks: readonly LimitCheck[]): void {
  for (const c of checks) {
    if (c.kind !== 'concurrency') continue;
    const l = c.lease;
    if (l === undefined || typeof l.id !== 'string' || !LEASE_ID.test(l.id) || !Number.isSafeInteger(l.ttlMs) || l.ttlMs < 1 || l.ttlMs > MAX_LEASE_MS) {
      throw new StoreError(`concurrency checks need a lease: an id of 1-64 printable characters and ttlMs in [1, ${MAX_LEASE_MS}]`);
    }
  }
}

/** The decision on one scope's counters (looked up already): would every check pass? Then charge them all. */
function decide(map: Map<string, Entry>, keys: readonly string[], entries: (Entry | undefined)[], checks: readonly LimitCheck[], nowMs: number): ConsumeResult {
  const nowUs = nowMs * 1000;
  const n = checks.length;
  const next = new Array<number>(n);
  const states: LimitState[] = [];
  let refusedBy: number | undefined;
  let retryAfterMs = 0;
  for (let i = 0; i < n; i++) {
    const c = checks[i] as LimitCheck;
    const e = entries[i];
    let ok: boolean;
    if (c.kind === 'gcra') {
      const tat = Math.max(e !== undefined && e.expiresAt > nowMs ? e.value : 0, nowUs);
      const newTat = tat + increment(c, c.cost);
      const capacity = increment(c, c.burst ?? c.limit);
      ok = newTat - nowUs <= capacity;
      next[i] = newTat;
      const after = ok ? newTat : tat;
      states.push({ remaining: Math.max(0, Math.floor((capacity - (after - nowUs)) / increment(c, 1))), resetMs: Math.ceil((after - nowUs) / 1000) });
      if (!ok && refusedBy === undefined) retryAfterMs = Math.ceil((newTat - nowUs - capacity) / 1000);
    } else if (c.kind === 'concurrency') {
      let live = 0;
      if (e?.leases !== undefined) for (const [id, until] of e.leases) until > nowMs ? live++ : e.leases.delete(id);
      const taking = c.cost > 0 && !(e?.leases?.has((c.lease as { id: string }).id) ?? false) ? 1 : 0;
      ok = live + taking <= c.limit;
      states.push({ remaining: Math.max(0, c.limit - (ok ? live + taking : live)), resetMs: 0 });
      if (!ok && refusedBy === undefined) retryAfterMs = 0;
    } else {
      const start = c.kind === 'window' ? windowStart(nowMs, c) : 0;
      const u = e === undefined ? 0 : c.kind === 'window' ? (e.windowStart === start && e.expiresAt > nowMs ? e.value : 0) : e.value;
      ok = u + c.cost <= c.limit;
      next[i] = u + c.cost;
      const resetMs = c.kind === 'window' ? windowEnd(nowMs, c) - nowMs : 0;
      states.push({ remaining: Math.max(0, c.limit - (ok ? u + c.cost : u)), resetMs, ...(c.kind === 'window' ? { windowStart: start } : {}) });
      if (!ok && refusedBy === undefined) retryAfterMs = c.kind === 'window' && c.cost <= c.limit ? resetMs : 0;
    }
    if (!ok && refusedBy === undefined) refusedBy = i;
  }
  if (refusedBy !== undefined) return { allowed: false, refusedBy, retryAfterMs, states };
  // Charge all (still synchronous: nothing else ran in between).
  for (let i = 0; i < n; i++) {
    const c = checks[i] as LimitCheck;
    let e = entries[i];
    if (e === undefined) {
      // A probe (cost 0) of a caller the store does not know leaves nothing behind.
      if (c.cost === 0) continue;
      e = { value: 0, expiresAt: nowMs, windowStart: 0, leases: undefined };
      map.set(keys[i] as string, e);
    }
    if (c.kind === 'concurrency') {
      if (c.cost > 0 && c.lease !== undefined) {
        if (e.leases === undefined) e.leases = new Map();
        const until = nowMs + c.lease.ttlMs;
        e.leases.set(c.lease.id, until);
        e.expiresAt = Math.max(e.expiresAt, until);
      }
    } else if (c.kind === 'gcra') {
      e.value = next[i] as number;
      e.expiresAt = Math.ceil(e.value / 1000);
    } else if (c.kind === 'window') {
      e.value = next[i] as number;
      e.windowStart = windowStart(nowMs, c);
      e.expiresAt = windowEnd(nowMs, c);
    } else {
      e.value = next[i] as number;
      e.expiresAt = Number.POSITIVE_INFINITY;
    }
  }
  return { allowed: true, refusedBy: undefined, retryAfterMs: 0, states };
}

/** GCRA emission time of `units`, in µs (integer, rounded up so the rate is never exceeded). */
export function increment(c: LimitCheck, units: number): number {
  return Math.ceil((units * (c.periodMs ?? 1000) * 1000) / Math.max(1, c.limit));
}

/** Start of the fixed window (aligned to the epoch) that contains `nowMs`. */
export function windowStart(nowMs: number, c: LimitCheck): number {
  const p = c.periodMs ?? 1000;
  return Math.floor(nowMs / p) * p;
}

/** End of the fixed window (aligned to the epoch) that contains `nowMs`. */
export function windowEnd(nowMs: number, c: LimitCheck): number {
  return windowStart(nowMs, c) + (c.periodMs ?? 1000);
}
