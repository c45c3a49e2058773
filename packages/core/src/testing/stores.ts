/**
 * Detector stores for testing a guard's store paths: the asynchronous one a shared store takes,
 * and a store that is down. A guard may answer synchronously when its store does (the memory
 * store), so both paths need a test.
 */
import type { DetectorStore } from '../stores/detector.js';
import type { MemoryStore } from '../stores/memory.js';
import { StoreError } from '../stores/types.js';

/** `store` seen only through the contract's asynchronous `update` (no `updateSync`), as a Redis store is. */
export function asyncDetectorStore(store: MemoryStore): DetectorStore {
  return {
    name: `${store.name}-async`,
    localKeys: store.localKeys,
    update: (scope, ops) => Promise.resolve().then(() => store.updateSync(scope, ops)),
  };
}

/** A detector store that is down: every update rejects with a StoreError. */
export function unavailableDetectorStore(message = 'connection refused'): DetectorStore {
  return { name: 'unavailable', localKeys: false, update: () => Promise.reject(new StoreError(message)) };
}
