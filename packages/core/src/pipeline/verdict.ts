/** Checking what a guard hook returned, and naming how a hook failed. */
import { asDisclosure } from '../disclosure.js';
import type { GuardVerdict } from '../types.js';

const ACTIONS = new Set(['allow', 'flag', 'modify', 'deny']);

export class GuardTimeoutError extends Error {
  override readonly name = 'GuardTimeoutError';
}

export class InvalidVerdictError extends Error {
  override readonly name = 'InvalidVerdictError';
}

/** Accepts `undefined` (allow) or a well-formed verdict; anything else is the guard's fault. */
export function checkVerdict<T>(v: unknown, writes: ReadonlySet<symbol>): GuardVerdict<T> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || !ACTIONS.has((v as { action?: unknown }).action as string)) {
    throw new InvalidVerdictError('guard returned something that is not a verdict');
  }
  const verdict = v as GuardVerdict<T>;
  if (verdict.action !== 'allow' && (typeof verdict.code !== 'string' || verdict.code === '')) {
    throw new InvalidVerdictError(`a "${verdict.action}" verdict needs a non-empty code`);
  }
  if (verdict.action === 'modify' && verdict.disclosure !== undefined && asDisclosure(verdict.disclosure) === undefined) {
    throw new InvalidVerdictError('a modify verdict carried a disclosure that is not a descriptor');
  }
  if (verdict.signals !== undefined) {
    if (!Array.isArray(verdict.signals)) throw new InvalidVerdictError('signals must be an array of key.of(value)');
    for (const w of verdict.signals) {
      // Undeclared writes would defeat the order check made at construction.
      if (!writes.has(w?.key?.id)) throw new InvalidVerdictError(`signal "${String(w?.key?.name)}" is not in the guard's signals.writes`);
    }
  }
  return verdict;
}
