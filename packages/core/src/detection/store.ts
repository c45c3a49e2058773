/** What the stateful guards share: the detector store a guard names, and one call to it with the guard's time limit. */
import { ConfigError } from '../errors.js';
import type { GuardFactoryContext } from '../guards/define.js';
import { type DetectorOp, type DetectorResult, type DetectorStore, isDetectorStore } from '../stores/detector.js';
import { StoreError } from '../stores/types.js';
import { withTimeout } from '../util/timeout.js';

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
