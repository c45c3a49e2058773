/**
 * MemoryStore: both store contracts in this process. Budget counters (memory-budget.ts) and
 * detector state (memory-detector.ts) each keep their own bound and a bounded cost per call; read
 * their headers for what a full store does. Counts are per process (`localKeys: true`): behind N
 * replicas, use RedisStore or divide limits by N.
 */
import { ConfigError, type ConfigIssueInput } from '../errors.js';
import type { DetectorOp, DetectorResult, DetectorStore } from './detector.js';
import { BudgetMemory } from './memory-budget.js';
import { DetectorMemory } from './memory-detector.js';
import type { BudgetStore, ConsumeOptions, ConsumeResult, LimitCheck } from './types.js';

export { windowEnd, windowStart } from './memory-budget.js';

export interface MemoryStoreOptions {
  /** Most budget counters held for known callers (default 100,000). */
  readonly maxKeys?: number;
  /** Counters reserved for overflow buckets when the store is full (default maxKeys / 16, at least 64). */
  readonly overflowKeys?: number;
  /** Most detector keys held at once (default 100,000). */
  readonly maxDetectorKeys?: number;
  /** Bound on detector state, bytes (an estimate: 2 per character plus fixed overheads; default 64 MiB). */
  readonly maxDetectorBytes?: number;
  /** Clock in ms (default `Date.now`). Injectable for tests. */
  readonly now?: () => number;
}

export class MemoryStore implements BudgetStore, DetectorStore {
  readonly name = 'memory';
  readonly localKeys = true;
  readonly #now: () => number;
  readonly #budgets: BudgetMemory;
  readonly #detectors: DetectorMemory;

  constructor(options: MemoryStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    const overflowKeys = options.overflowKeys ?? Math.max(64, Math.floor(maxKeys / 16));
    const maxDetectorKeys = options.maxDetectorKeys ?? 100_000;
    const maxDetectorBytes = options.maxDetectorBytes ?? 64 * 1024 * 1024;
    const issues: ConfigIssueInput[] = [];
    for (const [path, v] of [
      ['maxKeys', maxKeys],
      ['overflowKeys', overflowKeys],
      ['maxDetectorKeys', maxDetectorKeys],
      ['maxDetectorBytes', maxDetectorBytes],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) issues.push({ path, rule: 'must be a positive integer', received: String(v) });
    }
    if (options.now !== undefined && typeof options.now !== 'function') issues.push({ path: 'now', rule: 'must be a function', received: typeof options.now });
    if (issues.length > 0) throw new ConfigError(issues, 'MemoryStore options');
    this.#now = options.now ?? Date.now;
    this.#budgets = new BudgetMemory({ maxKeys, overflowKeys });
    this.#detectors = new DetectorMemory({ maxKeys: maxDetectorKeys, maxBytes: maxDetectorBytes });
  }

  /** Budget counters held for known callers (for tests and metrics). */
  get size(): number {
    return this.#budgets.size;
  }

  /** Budget counters in overflow buckets, and entries examined by sweeps so far (for tests and metrics). */
  get budgetState(): { readonly keys: number; readonly overflowKeys: number; readonly swept: number } {
    return { keys: this.#budgets.size, overflowKeys: this.#budgets.overflowSize, swept: this.#budgets.swept };
  }

  /** Detector keys held, and an estimate of their bytes (for tests and metrics). */
  get detectorState(): { readonly keys: number; readonly bytes: number } {
    return { keys: this.#detectors.size, bytes: this.#detectors.bytes };
  }

  consumeSync(scope: string, checks: readonly LimitCheck[], options?: ConsumeOptions): ConsumeResult {
    return this.#budgets.consume(scope, checks, this.#now(), options);
  }

  refundSync(scope: string, checks: readonly LimitCheck[]): void {
    this.#budgets.refund(scope, checks, this.#now());
  }

  consume(scope: string, checks: readonly LimitCheck[], options?: ConsumeOptions): Promise<ConsumeResult> {
    try {
      return Promise.resolve(this.consumeSync(scope, checks, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  refund(scope: string, checks: readonly LimitCheck[]): Promise<void> {
    try {
      this.refundSync(scope, checks);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
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
}
