/**
 * Runs one guard hook and turns whatever it does (returns, throws, hangs) into a verdict.
 */
import type { GuardVerdict } from '../types.js';

const ACTIONS = new Set(['allow', 'flag', 'modify', 'deny']);

export class GuardTimeoutError extends Error {
  override readonly name = 'GuardTimeoutError';
}

export class InvalidVerdictError extends Error {
  override readonly name = 'InvalidVerdictError';
}

/** Accepts `undefined` (allow) or a well-formed verdict; anything else is the guard's fault. */
export function checkVerdict<T>(v: unknown): GuardVerdict<T> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || !ACTIONS.has((v as { action?: unknown }).action as string)) {
    throw new InvalidVerdictError('guard returned something that is not a verdict');
  }
  const verdict = v as GuardVerdict<T>;
  if (verdict.action !== 'allow' && (typeof verdict.code !== 'string' || verdict.code === '')) {
    throw new InvalidVerdictError(`a "${verdict.action}" verdict needs a non-empty code`);
  }
  return verdict;
}

/**
 * Awaits a promise for at most `ms`, then rejects with `timeoutError()` (by default a
 * GuardTimeoutError naming the guard). The timer is cleared either way.
 */
export function withTimeout<T>(p: PromiseLike<T>, ms: number, guardOrError: string | (() => Error)): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onTimeout = () =>
      reject(typeof guardOrError === 'string' ? new GuardTimeoutError(`guard "${guardOrError}" timed out after ${ms} ms`) : guardOrError());
    const timer = setTimeout(onTimeout, ms);
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
