/**
 * The store contract behind every stateful guard (query budgets, the privacy ledger). A store
 * makes one decision atomically: check every limit of one scope and, only if all pass, charge all
 * of them. Implementations: `MemoryStore` (this package; one process) and `RedisStore`
 * (@bulwark/redis-store; shared by every replica). One conformance suite (test/conformance/stores)
 * runs against both. Guide: docs/budgets.md, "Writing a store".
 */

/** The kinds of limit a store enforces. All amounts are integers (cost units). */
export type LimitKind =
  /** At most `limit` units per fixed window of `periodMs`, windows aligned to the Unix epoch. */
  | 'window'
  /**
   * Generic cell rate: `limit` units per `periodMs`, smooth, with bursts of up to `burst` units
   * (default `limit`). Never admits more than `burst + limit × elapsed / periodMs`.
   */
  | 'gcra'
  /** At most `limit` units ever (lifetime totals; never expire). */
  | 'total'
  /**
   * At most `limit` leases at once. A call takes the lease named in `lease` (an id the guard draws
   * at random) and gives it back with `refund` of the same lease; a lease that is never given back
   * (a crash, a store call that timed out on the client but ran on the server) expires on its own
   * after `lease.ttlMs`, so a lost release costs at most the lease, never a lockout.
   */
  | 'concurrency';

export interface LimitCheck {
  /**
   * Key of the counter within its scope, e.g. `rate` or `quota:day`. Built by the guard from fixed
   * strings only: caller ids never appear in keys (the scope is a hash).
   */
  readonly key: string;
  readonly kind: LimitKind;
  /** Units allowed (per window, per period, ever, or at once). Integer ≥ 0. */
  readonly limit: number;
  /** Window or period length in ms (`window`, `gcra`). */
  readonly periodMs?: number;
  /** Burst capacity in units (`gcra`; default `limit`). */
  readonly burst?: number;
  /** Units this call charges. Integer ≥ 0. */
  readonly cost: number;
  /** `concurrency`: the lease this call takes (consume) or gives back (refund). Required for that kind. */
  readonly lease?: { readonly id: string; readonly ttlMs: number } | undefined;
  /**
   * `window`, on refund: the start of the window the charge was made in (`LimitState.windowStart`).
   * A refund for a window that has ended changes nothing: it never subtracts from the next one.
   */
  readonly windowStart?: number | undefined;
}

/** The state of one limit after a decision. */
export interface LimitState {
  /** Units still available (after this call's charge, when it was allowed). */
  readonly remaining: number;
  /** Ms until the limit is fully available again (window end, GCRA drain); 0 for totals. */
  readonly resetMs: number;
  /** `window`: start of the window this decision charged (ms since the epoch), to target its refund. */
  readonly windowStart?: number | undefined;
}

export interface ConsumeOptions {
  /**
   * Where a store that is full of live state may charge a caller it has never seen, instead of
   * refusing it: a shared bucket for a group of callers (e.g. an address prefix), with the same
   * limits. A flood of new identities then shares buckets rather than locking everyone else out
   * (a refusal) or escaping its limits (failing open). Stores without a capacity bound ignore it.
   */
  readonly overflowScope?: string | undefined;
}

export interface ConsumeResult {
  readonly allowed: boolean;
  /** Index in `checks` of the first limit that refused, when not allowed. */
  readonly refusedBy: number | undefined;
  /** Ms after which the refusing limit could admit this call (0 if never, e.g. a spent total). */
  readonly retryAfterMs: number;
  /** One per check, in order. */
  readonly states: readonly LimitState[];
  /** The scope actually charged, when it is not the one asked for (the store overflowed): refund there. */
  readonly scope?: string | undefined;
}

export interface BudgetStore {
  /** For telemetry and messages, e.g. `memory`, `redis`. */
  readonly name: string;
  /**
   * True when counts are not shared across processes (MemoryStore): each replica then enforces
   * its own limits, and a fleet of N admits up to N times as much. Drives a warning.
   */
  readonly localKeys: boolean;
  /**
   * The one atomic decision: if every check of `scope` passes, charge every cost; otherwise charge
   * nothing. Time comes from the store (the server's clock for Redis), never from the caller.
   * `scope` is a principal hash or `global`: all of a scope's keys live together (one Redis
   * Cluster slot). Rejects with a `StoreError` when the store cannot decide.
   */
  consume(scope: string, checks: readonly LimitCheck[], options?: ConsumeOptions): Promise<ConsumeResult>;
  /**
   * Gives units back: what a call reserved but did not release, or a concurrency lease (by id).
   * Never takes a counter below zero; a window that has rolled over is not touched. Idempotent for
   * leases: releasing a lease that is gone (expired, released) changes nothing.
   */
  refund(scope: string, checks: readonly LimitCheck[]): Promise<void>;
  /**
   * Optional synchronous forms, for stores that decide in process (MemoryStore): guards call them
   * when present and skip the promise and the timeout. Same semantics; throw a StoreError.
   */
  consumeSync?(scope: string, checks: readonly LimitCheck[], options?: ConsumeOptions): ConsumeResult;
  refundSync?(scope: string, checks: readonly LimitCheck[]): void;
  /** Releases connections or timers. */
  close?(): Promise<void>;
}

export function isBudgetStore(v: unknown): v is BudgetStore {
  return typeof v === 'object' && v !== null && typeof (v as BudgetStore).consume === 'function' && typeof (v as BudgetStore).refund === 'function';
}

/** The store could not decide (unreachable, timed out, full). Guards apply their failure policy. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code = 'store_unavailable';
}
