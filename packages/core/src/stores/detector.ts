/**
 * The detector store contract: state that stateful detectors keep per caller and globally (recent
 * query fingerprints, distance samples, a decaying risk score), shared by every replica. Like
 * `BudgetStore`, a store makes one atomic decision per call: every operation on one scope runs in
 * one critical section (MemoryStore: synchronous code; RedisStore: one Lua script), in order, with
 * time from the store. State is bounded per key (`DETECTOR_LIMITS`) and in total (each store
 * documents its bound), and every key expires.
 *
 * Three data types cover what the detectors need:
 *
 *   decay     a number that halves every `halfLifeMs` (a caller's risk): add, read the new value
 *   append    a bounded FIFO list of strings (PRADA's distances or query sketches): read it (unless
 *             `answer: false`), then add
 *   remember  a bounded set of strings seen recently (Blacklight's fingerprints): which were there, then add
 *
 * Items are printable ASCII (encode binary as base64 or hex), so that every store keeps them byte
 * for byte. One conformance suite (`@bulwark/core/testing`) runs against every store.
 */

export const DETECTOR_LIMITS = Object.freeze({
  /** Operations in one update. */
  maxOps: 16,
  /** Items (append) or members (remember) in one operation. */
  maxItemsPerOp: 256,
  /** Characters in one item or member. */
  maxItemLength: 4096,
  /** Capacity of one list or set. */
  maxCapacity: 10_000,
  /** Longest expiry or half-life, ms (30 days). */
  maxTtlMs: 2_592_000_000,
});

export type DetectorOp =
  /** Adds `add` (≥ 0) to a value that halves every `halfLifeMs`; answers the new value. `add: 0` reads it. */
  | { readonly kind: 'decay'; readonly key: string; readonly add: number; readonly halfLifeMs: number }
  /**
   * Answers the list as it was, then appends `items`, keeping the newest `max`; the list expires
   * `ttlMs` after its last append. With `answer: false` the list is not answered (`before` is
   * empty), only its stamps: a guard that keeps a decoded copy of the list (and knows its stamp)
   * or does not need it saves copying, or sending, the whole list. A store that ignores `answer`
   * and answers anyway is still correct.
   */
  | {
      readonly kind: 'append';
      readonly key: string;
      readonly items: readonly string[];
      readonly max: number;
      readonly ttlMs: number;
      readonly answer?: boolean;
    }
  /**
   * Answers, per member, whether it was in the set (added less than `ttlMs` ago), then adds them
   * (refreshing their time); beyond `max` members the oldest are dropped. Every member is answered
   * before any is added: a member named twice in one op gets the same answer twice.
   */
  | { readonly kind: 'remember'; readonly key: string; readonly members: readonly string[]; readonly max: number; readonly ttlMs: number };

export type DetectorResult =
  | { readonly kind: 'decay'; readonly value: number }
  | {
      readonly kind: 'append';
      readonly before: readonly string[];
      /**
       * Opaque names of the list's state before and after this op. Equal stamps of one key mean
       * the same list: a stamp changes with every append that adds items and whenever the list is
       * created again (after expiry); nothing else changes a list. (Equal lists may have different
       * stamps.) Both built-in stores give them; a store that does not leaves them out, and guards
       * then read whole lists.
       */
      readonly stamp?: { readonly before: string; readonly after: string };
    }
  | { readonly kind: 'remember'; readonly seen: readonly boolean[] };

export interface DetectorStore {
  /** For telemetry and messages, e.g. `memory`, `redis`. */
  readonly name: string;
  /** True when state is not shared across processes: replicas then detect each on its own traffic. */
  readonly localKeys: boolean;
  /**
   * Applies `ops` to `scope` atomically and in order; one result per op, in order. `scope` is a
   * principal hash or `global` (content-based state shared by all callers); keys are fixed strings
   * chosen by the guard. Rejects with a `StoreError` when the store cannot decide or an op breaks
   * `DETECTOR_LIMITS`.
   */
  update(scope: string, ops: readonly DetectorOp[]): Promise<DetectorResult[]>;
  /** Optional synchronous form, for stores that decide in process. Same semantics; throws a StoreError. */
  updateSync?(scope: string, ops: readonly DetectorOp[]): DetectorResult[];
  close?(): Promise<void>;
}

export function isDetectorStore(v: unknown): v is DetectorStore {
  return typeof v === 'object' && v !== null && typeof (v as DetectorStore).update === 'function' && typeof (v as DetectorStore).name === 'string';
}

const PRINTABLE = /^[\x20-\x7e]*$/;

/** Checks ops against `DETECTOR_LIMITS`; returns the first problem, or undefined. Stores call it before anything else. */
export function detectorOpProblem(ops: readonly DetectorOp[]): string | undefined {
  const L = DETECTOR_LIMITS;
  if (!Array.isArray(ops) || ops.length > L.maxOps) return `at most ${L.maxOps} operations per update`;
  for (const op of ops) {
    if (typeof op?.key !== 'string' || op.key === '' || op.key.length > 200 || !PRINTABLE.test(op.key)) return 'keys are printable ASCII, 1-200 characters';
    if (op.kind === 'decay') {
      if (!(Number.isFinite(op.add) && op.add >= 0)) return 'decay: add must be a finite number >= 0';
      if (!(Number.isSafeInteger(op.halfLifeMs) && op.halfLifeMs >= 1 && op.halfLifeMs <= L.maxTtlMs))
        return `decay: halfLifeMs must be an integer in [1, ${L.maxTtlMs}]`;
    } else if (op.kind === 'append' || op.kind === 'remember') {
      const list = op.kind === 'append' ? op.items : op.members;
      if (!Array.isArray(list) || list.length > L.maxItemsPerOp) return `${op.kind}: at most ${L.maxItemsPerOp} items per operation`;
      for (const x of list)
        if (typeof x !== 'string' || x.length > L.maxItemLength || !PRINTABLE.test(x))
          return `${op.kind}: items are printable ASCII of at most ${L.maxItemLength} characters`;
      if (!(Number.isSafeInteger(op.max) && op.max >= 1 && op.max <= L.maxCapacity)) return `${op.kind}: max must be an integer in [1, ${L.maxCapacity}]`;
      if (!(Number.isSafeInteger(op.ttlMs) && op.ttlMs >= 1 && op.ttlMs <= L.maxTtlMs)) return `${op.kind}: ttlMs must be an integer in [1, ${L.maxTtlMs}]`;
    } else return 'unknown operation kind';
  }
  return undefined;
}

/** Decays `value`, last updated at `atMs`, to `nowMs`. */
export function decayed(value: number, atMs: number, nowMs: number, halfLifeMs: number): number {
  return nowMs <= atMs ? value : value * 2 ** (-(nowMs - atMs) / halfLifeMs);
}

/** A decayed value is forgotten after this many half-lives (2^-20 ≈ 1e-6 of it is left). */
export const DECAY_HALF_LIVES_KEPT = 20;
