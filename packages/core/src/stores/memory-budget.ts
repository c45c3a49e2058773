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
 *
 * The hot path (docs/benchmarks.md, "The budget against the rate limiters it replaces"): one map
 * lookup per decision, on the scope string (a principal hash the hasher hands out once per caller,
 * so the string's hash is cached in it); a scope's counters are a small array searched by key
 * (check keys are the guard's constants); no arrays or key strings built per call.
 */
import { type ConsumeOptions, type ConsumeResult, type LimitCheck, type LimitState, StoreError } from './types.js';

/** One limit's counter within a scope. */
interface Counter {
  /** The check's key (`rate`, `quota:day`, …). */
  readonly key: string;
  /**
   * gcra: units owed (the debt that drains at `limit` per period) as of `at`; window, total: units
   * used. GCRA is kept as a debt in units, not a theoretical arrival time in µs: no clock resolution
   * caps the rate (a TAT in whole µs admits at most 1e6 units a second per key).
   */
  value: number;
  /** gcra: when `value` was last brought up to date, ms; window: the window's start, ms. */
  at: number;
  /** When the counter can be forgotten, ms (Infinity: never). */
  expiresAt: number;
  /** concurrency: lease id → expiry, ms. */
  leases: Map<string, number> | undefined;
}

export interface BudgetMemoryOptions {
  readonly maxKeys: number;
  readonly overflowKeys: number;
}

/** Scopes examined for expired counters on every decision, and once more when the store is full. */
const SWEEP = 2;
const SWEEP_WHEN_FULL = 64;
const LEASE_ID = /^[\x21-\x7e]{1,64}$/;
const MAX_LEASE_MS = 86_400_000;

/** A map of scopes to their counters, with a count of counters and a rotating expiry sweep. */
class Area {
  readonly map = new Map<string, Counter[]>();
  /** Counters held, over every scope (the bound is on counters, as before: one per limit per caller). */
  counters = 0;
  #cursor: MapIterator<[string, Counter[]]> | undefined;

  /** Examines the next `n` scopes in a round over the map, dropping expired counters; returns counters examined. */
  sweep(nowMs: number, n: number): number {
    let examined = 0;
    for (let i = 0; i < n; i++) {
      if (this.#cursor === undefined) this.#cursor = this.map.entries();
      const next = this.#cursor.next();
      if (next.done) {
        this.#cursor = undefined;
        if (this.map.size === 0) break;
        continue;
      }
      const [scope, list] = next.value;
      examined += list.length;
      for (let j = list.length - 1; j >= 0; j--) {
        if (expired(list[j] as Counter, nowMs)) {
          list.splice(j, 1);
          this.counters--;
        }
      }
      if (list.length === 0) this.map.delete(scope);
    }
    return examined;
  }
}

function expired(e: Counter, nowMs: number): boolean {
  if (e.leases !== undefined) {
    for (const [id, until] of e.leases) if (until <= nowMs) e.leases.delete(id);
    return e.leases.size === 0;
  }
  return e.expiresAt <= nowMs;
}

function find(list: readonly Counter[] | undefined, key: string): Counter | undefined {
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) if ((list[i] as Counter).key === key) return list[i];
  return undefined;
}

/** How many of `checks` have no counter in `list` yet. */
function missing(list: readonly Counter[] | undefined, checks: readonly LimitCheck[]): number {
  if (list === undefined) return checks.length;
  let n = 0;
  for (let i = 0; i < checks.length; i++) if (find(list, (checks[i] as LimitCheck).key) === undefined) n++;
  return n;
}

export class BudgetMemory {
  readonly #main = new Area();
  readonly #overflow = new Area();
  readonly #maxKeys: number;
  readonly #overflowKeys: number;
  /** Counters examined by sweeps (for tests: the cost of a call is bounded). */
  swept = 0;

  constructor(options: BudgetMemoryOptions) {
    this.#maxKeys = options.maxKeys;
    this.#overflowKeys = options.overflowKeys;
  }

  get size(): number {
    return this.#main.counters;
  }
  get overflowSize(): number {
    return this.#overflow.counters;
  }

  consume(scope: string, checks: readonly LimitCheck[], nowMs: number, options?: ConsumeOptions): ConsumeResult {
    checkLeases(checks);
    const main = this.#main;
    this.swept += main.sweep(nowMs, SWEEP);
    const list = main.map.get(scope);
    const fresh = missing(list, checks);
    if (fresh === 0 || main.counters + fresh <= this.#maxKeys) return decide(main, scope, list, checks, nowMs);
    this.swept += main.sweep(nowMs, SWEEP_WHEN_FULL);
    if (main.counters + fresh <= this.#maxKeys) return decide(main, scope, main.map.get(scope), checks, nowMs);
    if (options?.overflowScope === undefined) throw new StoreError(`memory store is full (${this.#maxKeys} live counters)`);
    const area = this.#overflow;
    let charged = `overflow:${options.overflowScope}`;
    let more = missing(area.map.get(charged), checks);
    if (more > 0 && area.counters + more > this.#overflowKeys) {
      this.swept += area.sweep(nowMs, SWEEP_WHEN_FULL);
      // The last bucket always takes the call: a handful of counters, one per kind of limit.
      if (area.counters + more > this.#overflowKeys) {
        charged = 'overflow:*';
        more = 0;
      }
    }
    const r = decide(area, charged, area.map.get(charged), checks, nowMs);
    return { allowed: r.allowed, refusedBy: r.refusedBy, retryAfterMs: r.retryAfterMs, states: r.states, scope: charged };
  }

  refund(scope: string, checks: readonly LimitCheck[], nowMs: number): void {
    checkLeases(checks);
    const list = (scope.startsWith('overflow:') ? this.#overflow : this.#main).map.get(scope);
    if (list === undefined) return;
    for (const c of checks) {
      const e = find(list, c.key);
      if (e === undefined) continue;
      if (c.kind === 'concurrency') {
        if (c.lease !== undefined) e.leases?.delete(c.lease.id);
        continue;
      }
      if (c.cost <= 0 || e.expiresAt <= nowMs) continue;
      if (c.kind === 'gcra') {
        // Never below nothing owed now (a refund does not bank credit for later).
        e.value = Math.max(0, owed(e, c, nowMs) - c.cost);
        e.at = nowMs;
      } else if (c.kind === 'window') {
        // Never into another window than the one charged.
        if (c.windowStart !== undefined && c.windowStart !== e.at) continue;
        e.value = Math.max(0, e.value - c.cost);
      } else e.value = Math.max(0, e.value - c.cost);
    }
  }
}

/** GCRA: units still owed at `nowMs`, the debt drained at `limit` per `periodMs` since the counter's `at`. */
function owed(e: Counter | undefined, c: LimitCheck, nowMs: number): number {
  if (e === undefined || e.expiresAt <= nowMs) return 0;
  const drained = ((nowMs - e.at) * c.limit) / (c.periodMs ?? 1000);
  return drained >= e.value ? 0 : e.value - drained;
}

/** Ms for `units` of GCRA debt to drain. */
const drainMs = (c: LimitCheck, units: number): number => Math.ceil((units * (c.periodMs ?? 1000)) / Math.max(1, c.limit));

function checkLeases(checks: readonly LimitCheck[]): void {
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i] as LimitCheck;
    if (c.kind !== 'concurrency') continue;
    const l = c.lease;
    if (l === undefined || typeof l.id !== 'string' || !LEASE_ID.test(l.id) || !Number.isSafeInteger(l.ttlMs) || l.ttlMs < 1 || l.ttlMs > MAX_LEASE_MS) {
      throw new StoreError(`concurrency checks need a lease: an id of 1-64 printable characters and ttlMs in [1, ${MAX_LEASE_MS}]`);
    }
  }
}

/** A limit's state, always with the same shape (one hidden class for every state). */
function state(remaining: number, resetMs: number, windowStart: number | undefined): LimitState {
  return { remaining, resetMs, windowStart };
}

/**
 * Scratch of one decision: each check's counter and the value it takes if charged, found and
 * computed once in the checking pass and reused by the charging pass. `decide` is synchronous and
 * never re-entered, so one pair of arrays serves every call.
 */
const found: (Counter | undefined)[] = [];
const charged: number[] = [];

/**
 * The decision on one scope: would every check pass? Then charge them all. Synchronous from the
 * lookup to the charge, so no other decision of this process runs in between.
 */
function decide(area: Area, scope: string, list: Counter[] | undefined, checks: readonly LimitCheck[], nowMs: number): ConsumeResult {
  const n = checks.length;
  const states = new Array<LimitState>(n);
  let refusedBy: number | undefined;
  let retryAfterMs = 0;
  for (let i = 0; i < n; i++) {
    const c = checks[i] as LimitCheck;
    const e = find(list, c.key);
    found[i] = e;
    let ok: boolean;
    if (c.kind === 'gcra') {
      const burst = c.burst ?? c.limit;
      const before = owed(e, c, nowMs);
      const after = before + c.cost;
      ok = after <= burst;
      const held = ok ? after : before;
      charged[i] = after;
      states[i] = state(Math.max(0, Math.floor(burst - held)), drainMs(c, held), undefined);
      if (!ok && refusedBy === undefined) retryAfterMs = drainMs(c, after - burst);
    } else if (c.kind === 'concurrency') {
      let live = 0;
      if (e?.leases !== undefined) for (const [id, until] of e.leases) until > nowMs ? live++ : e.leases.delete(id);
      const taking = c.cost > 0 && !(e?.leases?.has((c.lease as { id: string }).id) ?? false) ? 1 : 0;
      ok = live + taking <= c.limit;
      states[i] = state(Math.max(0, c.limit - (ok ? live + taking : live)), 0, undefined);
      if (!ok && refusedBy === undefined) retryAfterMs = 0;
    } else if (c.kind === 'window') {
      const start = windowStart(nowMs, c);
      const used = e !== undefined && e.at === start && e.expiresAt > nowMs ? e.value : 0;
      ok = used + c.cost <= c.limit;
      charged[i] = used + c.cost;
      const resetMs = start + (c.periodMs ?? 1000) - nowMs;
      states[i] = state(Math.max(0, c.limit - (ok ? used + c.cost : used)), resetMs, start);
      if (!ok && refusedBy === undefined) retryAfterMs = c.cost <= c.limit ? resetMs : 0;
    } else {
      const used = e === undefined ? 0 : e.value;
      ok = used + c.cost <= c.limit;
      charged[i] = used + c.cost;
      states[i] = state(Math.max(0, c.limit - (ok ? used + c.cost : used)), 0, undefined);
      if (!ok && refusedBy === undefined) retryAfterMs = 0;
    }
    if (!ok && refusedBy === undefined) refusedBy = i;
  }
  if (refusedBy !== undefined) {
    found.fill(undefined, 0, n);
    return { allowed: false, refusedBy, retryAfterMs, states, scope: undefined };
  }
  // Charge all (still synchronous: nothing else ran in between).
  for (let i = 0; i < n; i++) {
    const c = checks[i] as LimitCheck;
    // A counter created by an earlier check of this call with the same key is found again.
    let e = found[i] ?? find(list, c.key);
    // Not kept past the call: a swept counter must not stay reachable from here.
    found[i] = undefined;
    if (e === undefined) {
      // A probe (cost 0) of a caller the store does not know leaves nothing behind.
      if (c.cost === 0) continue;
      e = { key: c.key, value: 0, at: nowMs, expiresAt: nowMs, leases: undefined };
      if (list === undefined) {
        list = [];
        area.map.set(scope, list);
      }
      list.push(e);
      area.counters++;
    }
    if (c.kind === 'gcra') {
      const debt = charged[i] as number;
      e.value = debt;
      e.at = nowMs;
      e.expiresAt = nowMs + drainMs(c, debt);
    } else if (c.kind === 'window') {
      const start = windowStart(nowMs, c);
      e.value = charged[i] as number;
      e.at = start;
      e.expiresAt = start + (c.periodMs ?? 1000);
    } else if (c.kind === 'concurrency') {
      if (c.cost > 0 && c.lease !== undefined) {
        if (e.leases === undefined) e.leases = new Map();
        const until = nowMs + c.lease.ttlMs;
        e.leases.set(c.lease.id, until);
        e.expiresAt = Math.max(e.expiresAt, until);
      }
    } else {
      e.value = charged[i] as number;
      e.expiresAt = Number.POSITIVE_INFINITY;
    }
  }
  return { allowed: true, refusedBy: undefined, retryAfterMs: 0, states, scope: undefined };
}

/** Start of the fixed window (aligned to the epoch) that contains `nowMs`. */
export function windowStart(nowMs: number, c: LimitCheck): number {
  const p = c.periodMs ?? 1000;
  return nowMs - (nowMs % p);
}

/** End of the fixed window (aligned to the epoch) that contains `nowMs`. */
export function windowEnd(nowMs: number, c: LimitCheck): number {
  return windowStart(nowMs, c) + (c.periodMs ?? 1000);
}
