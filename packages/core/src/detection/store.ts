/** What the stateful guards share: the detector store a guard names, and one call to it with the guard's time limit. */
import { ConfigError } from '../errors.js';
import type { GuardFactoryContext } from '../guards/define.js';
import { s } from '../policy/schema.js';
import { type DetectorOp, type DetectorResult, type DetectorStore, isDetectorStore } from '../stores/detector.js';
import { StoreError } from '../stores/types.js';
import type { GuardVerdict } from '../types.js';
import { withTimeout } from '../util/timeout.js';

/** The options every guard with detector state has (spread into its schema). */
export const detectorStoreOptions = {
  store: s.doc(s.default(s.string({ maxLength: 64 }), 'memory'), 'detector store: memory, or a shared store (redis) so replicas share state'),
  onStoreError: s.doc(s.default(s.enumOf(['deny', 'allow'] as const), 'deny'), 'store down: deny (store_unavailable) or allow (recorded)'),
  storeTimeoutMs: s.doc(s.default(s.int({ min: 1, max: 10_000 }), 200), 'time limit of a store call'),
};

/**
 * The verdict when a guard's store failed: fail closed (`store_unavailable`, 503) unless the guard
 * is configured with `onStoreError: allow`, which is recorded. Anything but a StoreError is a bug
 * and is rethrown (the pipeline then fails closed with `guard_failure`).
 */
export function storeFailure(err: unknown, onStoreError: 'deny' | 'allow', what: string): GuardVerdict<never> {
  if (!(err instanceof StoreError)) throw err;
  if (onStoreError === 'allow') return { action: 'flag', code: 'detector_store_unavailable', message: `${what}: store unavailable, allowed` };
  return { action: 'deny', code: 'store_unavailable', message: `${what} is unavailable` };
}

export function detectorStore(name: string, context: GuardFactoryContext, guard: string): DetectorStore {
  const s = context.stores[name];
  if (!isDetectorStore(s))
    throw new ConfigError(
      [
        {
          code: 'unknown_store',
          path: 'store',
          rule: s ? 'must name a detector store (memory, redis)' : 'must name a store of the policy',
          received: JSON.stringify(name),
        },
      ],
      `${guard} options`,
    );
  return s;
}

/** One atomic update with a time limit; a synchronous store answers without a promise or a timer. */
export function updateStore(store: DetectorStore, scope: string, ops: readonly DetectorOp[], timeoutMs: number): DetectorResult[] | Promise<DetectorResult[]> {
  if (store.updateSync) return store.updateSync(scope, ops);
  return withTimeout(store.update(scope, ops), timeoutMs, () => new StoreError(`store ${store.name} did not answer within ${timeoutMs} ms`)).catch(
    (e: unknown) => {
      throw e instanceof StoreError ? e : new StoreError(`store ${store.name} failed`, { cause: e });
    },
  );
}

/**
 * One store update, then `next` with its results: synchronously when the store answers
 * synchronously (the memory store: no promise and no deadline race per call), else once the
 * promise settles. A store failure, thrown or rejected, goes to `failed` (the guard's failure
 * policy); what `next` throws is not a store failure and propagates.
 */
export function updateThen<T>(
  store: DetectorStore,
  scope: string,
  ops: readonly DetectorOp[],
  timeoutMs: number,
  next: (results: DetectorResult[]) => T | Promise<T>,
  failed: (err: unknown) => T,
): T | Promise<T> {
  let results: DetectorResult[] | Promise<DetectorResult[]>;
  try {
    results = updateStore(store, scope, ops, timeoutMs);
  } catch (err) {
    return failed(err);
  }
  return Array.isArray(results) ? next(results) : results.then(next, failed);
}
