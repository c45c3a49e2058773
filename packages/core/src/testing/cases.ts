/** What the conformance suites are made of: named cases that throw (node:assert) on a failure. */
import { randomBytes } from 'node:crypto';

export interface ConformanceCase {
  readonly name: string;
  run(): Promise<void>;
}

/** A fresh scope that looks like a principal hash (22 characters of base64url). */
export const freshScope = (): string => randomBytes(16).toString('base64url');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs every case with a test framework's `it`/`test`.
 *
 * @example
 * ```ts
 * import { budgetStoreCases, registerCases } from '@bulwark/core/testing'
 * describe('my store', () => registerCases(budgetStoreCases(() => new MyStore()), it))
 * ```
 */
export function registerCases(
  cases: readonly ConformanceCase[],
  it: (name: string, fn: () => Promise<void>, timeout?: number) => unknown,
  timeoutMs = 60_000,
): void {
  for (const c of cases) it(c.name, () => c.run(), timeoutMs);
}

/** A store, or a function returning it (for stores that exist only once a test's setup has run). */
export type StoreSource<T> = T | (() => T);

/** A view of the store that resolves the source on every call. */
export function resolveStore<T extends object>(source: StoreSource<T>): T {
  if (typeof source !== 'function') return source;
  const get = source as () => T;
  return new Proxy({} as T, {
    get(_t, p) {
      const store = get();
      const v = Reflect.get(store, p, store);
      return typeof v === 'function' ? v.bind(store) : v;
    },
  });
}
