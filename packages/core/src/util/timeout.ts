/** Bounding the wait for a promise: guard hooks and store calls use it. */

/** Thrown by `withTimeout` when no error factory is given. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Awaits `p` for at most `ms`, then rejects with `onTimeout()` (default: a `TimeoutError`). The
 * timer is cleared either way. The work behind `p` is not cancelled: a caller that holds something
 * across the wait (a slot, a reservation) must be able to reconcile it later.
 */
export function withTimeout<T>(p: PromiseLike<T>, ms: number, onTimeout?: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout === undefined ? new TimeoutError(`no answer within ${ms} ms`) : onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
