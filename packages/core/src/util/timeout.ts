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

interface Pending {
  readonly at: number;
  readonly reject: (e: Error) => void;
  readonly onTimeout: () => Error;
  done: boolean;
}

/**
 * Deadlines for many calls with the same time limit, on one timer. `withTimeout` arms and clears a
 * timer per call (two timer-list operations each); on a hot path such as a budget's store call,
 * that is a good part of the client's cost. Calls made with one time limit expire in the order they
 * were made, so a FIFO suffices: settling a call only marks it done, and the one timer, armed for
 * the oldest live call, skips what is done when it fires.
 */
export class DeadlineQueue {
  readonly #ms: number;
  readonly #items: Pending[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Like `withTimeout(p, ms, onTimeout)`; `mapError` (optional) turns the promise's own rejection into another error. */
  race<T>(p: PromiseLike<T>, onTimeout: () => Error, mapError?: (e: unknown) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { at: performance.now() + this.#ms, reject, onTimeout, done: false };
      this.#items.push(entry);
      if (this.#timer === undefined) this.#arm(this.#ms);
      p.then(
        (v) => {
          entry.done = true;
          resolve(v);
        },
        (e: unknown) => {
          entry.done = true;
          reject(mapError === undefined ? e : mapError(e));
        },
      );
    });
  }

  #arm(ms: number): void {
    // Not unref'd: like a per-call timer, it holds the process until every pending call has its
    // answer or its timeout (a hook that hangs fails closed instead of leaving its call unsettled).
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(ms)));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const items = this.#items;
    while (this.#head < items.length) {
      const e = items[this.#head] as Pending;
      if (!e.done && e.at > now) break;
      this.#head++;
      if (!e.done) {
        e.done = true;
        e.reject(e.onTimeout());
      }
    }
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
      return;
    }
    if (this.#head > 1024) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    this.#arm((items[this.#head] as Pending).at - now);
  };
}
