/**
 * Typed per-call signals shared between guards, in the spirit of OpenTelemetry's
 * `createContextKey`: a guard declares a key (e.g. `riskKey`) in `signals.writes`, writes a value
 * through its verdict (`signals: [riskKey.of(0.8)]`), and later guards that declare it in
 * `signals.reads` read it typed with `ctx.get(riskKey)`. Writing through the verdict lets the
 * pipeline keep a monitoring guard's signals from taking effect, and the declarations let it check
 * the order at construction: a guard that reads a signal no earlier guard writes is a
 * configuration error, not a silent `undefined` at run time.
 */

export interface SignalKey<T> {
  /** Identity of the key: two keys with the same name are different keys. */
  readonly id: symbol;
  /** For messages and telemetry, e.g. `bulwark.risk`. */
  readonly name: string;
  /** How a second write in the same call combines with the first (absent: the later wins). */
  combine?(previous: T, next: T): T;
  /** A write of `value` to this key, to put in a verdict's `signals`. */
  of(value: T): SignalWrite<T>;
}

export interface SignalWrite<T = unknown> {
  readonly key: SignalKey<T>;
  readonly value: T;
}

/**
 * Creates a signal key.
 *
 * @example
 * ```ts
 * export const anomalyKey = createSignalKey<number>('acme.anomaly', { combine: Math.max })
 * // in a guard declared with signals: { writes: [anomalyKey] }
 * return { action: 'flag', code: 'anomalous', message: 'row far from training data', signals: [anomalyKey.of(0.9)] }
 * // in a later guard declared with signals: { reads: [anomalyKey] }
 * const score = ctx.get(anomalyKey) ?? 0
 * ```
 */
export function createSignalKey<T>(name: string, options: { combine?: (previous: T, next: T) => T } = {}): SignalKey<T> {
  const key: SignalKey<T> = Object.freeze({
    id: Symbol(name),
    name,
    ...(options.combine === undefined ? {} : { combine: options.combine }),
    of: (value: T): SignalWrite<T> => Object.freeze({ key, value }),
  });
  return key;
}

/**
 * The caller's risk as detectors see it, in [0, 1]: 0 nothing suspicious, 1 certainly an attack.
 * Several detectors combine by the maximum. Risk-adaptive guards read it to decide how much of an
 * answer to release.
 */
export const riskKey: SignalKey<number> = createSignalKey<number>('bulwark.risk', { combine: (a, b) => Math.max(a, b) });

/**
 * How much tighter this call's budget should be: the caller's limits are divided by it (≥ 1; 1 is
 * no change). Written by risk-response at its `tighten` level; read by a budget created with
 * `tightenOnRisk: true` (listed after it). Several writers combine by the maximum.
 */
export const budgetTighteningKey: SignalKey<number> = createSignalKey<number>('bulwark.budget.tightening', { combine: (a, b) => Math.max(a, b) });
