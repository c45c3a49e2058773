/**
 * createBulwark: the guard pipeline, and `wrap`, the plain function wrapper around a predict call.
 * The sequence of one call is in pipeline/call.ts; this file builds what every call shares.
 */
import type { Disclosure } from './disclosure.js';
import { type BulwarkError, ConfigError } from './errors.js';
import { type CallOptions, type CallPlan, type CallTarget, runCall } from './pipeline/call.js';
import { buildEntries, maxDisclosureOf } from './pipeline/guard-entry.js';
import { createGuardRunner } from './pipeline/run-guards.js';
import { type Principal, PrincipalHasher } from './principal/principal.js';
import { type Clock, systemClock } from './runtime/clock.js';
import { cryptoRandom, type RandomSource } from './runtime/random.js';
import { randomRequestId } from './runtime/request-id.js';
import { Instrumentation, type TelemetryOptions } from './telemetry/instrumentation.js';
import type { AnyGuard, Decision, DecisionInfo, GuardMode, ModelDescriptor } from './types.js';

export type { CallOptions } from './pipeline/call.js';

export interface BulwarkOptions {
  /** Guards, run in this order before inference and in this order after it. */
  readonly guards?: readonly AnyGuard[] | undefined;
  /** `enforce` (default) applies verdicts; `monitor` only records them (dry run). */
  readonly mode?: GuardMode | undefined;
  /** The model: its identity in telemetry, and its shape (features, classes) for guards. */
  readonly model?: ModelDescriptor | undefined;
  /**
   * Key of the HMAC that turns caller ids into the hashes used in telemetry and store keys.
   * Share it between replicas; when absent a random per-process key is used.
   */
  readonly principalSecret?: string | Uint8Array | undefined;
  /** Time limit of an asynchronous guard hook, ms (default 1000). A guard's own `timeoutMs` wins. */
  readonly guardTimeoutMs?: number | undefined;
  readonly telemetry?: TelemetryOptions | undefined;
  /** Called with every verdict other than allow (e.g. to log decisions). Must not throw; errors are ignored. */
  readonly onDecision?: ((decision: Decision, call: DecisionInfo) => void) | undefined;
  /** Source of request ids; defaults to random version-4 UUIDs from node:crypto. Injectable for tests. */
  readonly requestId?: (() => string) | undefined;
  /** Randomness every guard sees as `ctx.random` (default: node:crypto). Inject a seeded source in tests only. */
  readonly random?: RandomSource | undefined;
  /** Clock every guard sees as `ctx.clock`, and that times hooks and the model (default: the system clock). */
  readonly clock?: Clock | undefined;
}

export interface GuardedResult<O> {
  readonly output: O;
  /** Every verdict of the call, allows included, in the order they were made. */
  readonly decisions: readonly Decision[];
  /** What the output reveals. */
  readonly disclosure: Disclosure;
  readonly requestId: string;
  /** Response headers set by guards (e.g. RateLimit fields). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface WrapOptions<I> {
  /**
   * Checks the input before any guard runs; throw a `BulwarkError('invalid_input', …)` to refuse.
   * Guards then only ever see inputs the model accepts.
   */
  readonly validateInput?: ((input: I) => void) | undefined;
  /** Rows in an input (default: array of arrays → its length; anything else → 1). */
  readonly countQueries?: ((input: I) => number) | undefined;
}

/** The guarded function: call it like the predict function, plus who is calling. */
export interface GuardedFunction<I, O> {
  (input: I, options: CallOptions): Promise<O>;
  /** Same call, returning the output together with the decisions and what the output reveals. */
  run(input: I, options: CallOptions): Promise<GuardedResult<O>>;
  readonly bulwark: Bulwark;
}

export interface Bulwark {
  readonly mode: GuardMode;
  readonly model: ModelDescriptor;
  readonly guards: readonly string[];
  /** The most any answer can reveal, derived from the output guards at construction. */
  readonly maxDisclosure: Disclosure;
  /** Resolves and hashes caller identities (shared with adapters). */
  readonly principals: PrincipalHasher;
  /**
   * Records a request refused before the pipeline (by the HTTP layer: credentials, body, contract):
   * a span and a count, with the error's code. Gives the error a request id if it has none.
   */
  recordRefusal(error: BulwarkError, principal?: Principal): void;
  /** Wraps a predict function (sync or async) into a guarded one. */
  wrap<I, O>(predict: (input: I, signal?: AbortSignal) => O | Promise<O>, options?: WrapOptions<I>): GuardedFunction<I, O>;
  /** Closes every guard that holds resources. */
  close(): Promise<void>;
}

function defaultCount(input: unknown): number {
  if (Array.isArray(input) && (input.length === 0 || typeof input[0] === 'object')) return input.length;
  return 1;
}

/**
 * Creates a guard pipeline.
 *
 * @example
 * ```ts
 * import { createBulwark, maskOutput } from '@bulwark/core'
 *
 * const bulwark = createBulwark({
 *   model: { name: 'fraud', version: '1' },
 *   guards: [maskOutput({ form: 'rounded', decimals: 2 })],
 * })
 * const predict = bulwark.wrap((rows: number[][]) => model.predict(rows))
 * const predictions = await predict([[120, 3, 0.4, 12, 1, 0, 0, 400]], { principal: 'user-42' })
 * ```
 * @throws {ConfigError} when an option or guard is invalid; the message names each problem.
 */
export function createBulwark(options: BulwarkOptions = {}): Bulwark {
  const mode = options.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'monitor') {
    throw new ConfigError([{ path: 'mode', rule: 'must be "enforce" or "monitor"', received: JSON.stringify(mode) }], 'createBulwark options');
  }
  const timeout = options.guardTimeoutMs ?? 1000;
  const entries = buildEntries(options.guards ?? [], mode, timeout);
  const model: ModelDescriptor = Object.freeze({ name: 'model', ...options.model });
  const clock = options.clock ?? systemClock;
  let hasher: PrincipalHasher;
  try {
    hasher = new PrincipalHasher(options.principalSecret);
  } catch (err) {
    throw new ConfigError([{ path: 'principalSecret', rule: (err as Error).message, received: 'a short secret' }], 'createBulwark options');
  }
  const telemetry = new Instrumentation(options.telemetry, model);
  const maxDisclosure = maxDisclosureOf(entries);
  const plan: CallPlan = {
    runtime: { model, maxDisclosure, random: options.random ?? cryptoRandom, clock, newId: options.requestId ?? randomRequestId },
    mode,
    before: entries.filter((e) => e.guard.beforeInference !== undefined),
    after: entries.filter((e) => e.guard.afterInference !== undefined),
    runner: createGuardRunner(telemetry, model, clock, options.onDecision),
    telemetry,
    hasher,
  };

  function wrap<I, O>(predict: (input: I, signal?: AbortSignal) => O | Promise<O>, wrapOptions: WrapOptions<I> = {}): GuardedFunction<I, O> {
    if (typeof predict !== 'function') {
      throw new ConfigError([{ path: 'predict', rule: 'must be a function', received: typeof predict }], 'wrap');
    }
    const target: CallTarget = {
      predict: predict as CallTarget['predict'],
      takesSignal: predict.length > 1,
      count: (wrapOptions.countQueries ?? defaultCount) as (input: unknown) => number,
      validate: wrapOptions.validateInput as ((input: unknown) => void) | undefined,
    };
    // No wrapper awaits the call: each form is the call itself (one async layer per request, not two).
    const guarded = ((input: I, callOptions: CallOptions) => runCall(plan, target, input, callOptions, false)) as GuardedFunction<I, O>;
    Object.defineProperties(guarded, {
      run: {
        value: (input: I, callOptions: CallOptions) => runCall(plan, target, input, callOptions, true) as Promise<GuardedResult<O>>,
      },
      bulwark: { value: bulwark },
      name: { value: `guarded ${predict.name || 'predict'}` },
    });
    return guarded;
  }

  const bulwark: Bulwark = {
    mode,
    model,
    guards: entries.map((e) => e.name),
    maxDisclosure,
    principals: hasher,
    recordRefusal(error, principal) {
      if (error.requestId === undefined) error.requestId = plan.runtime.newId();
      telemetry.refusal(error.code, error.requestId, principal);
    },
    wrap,
    async close() {
      await Promise.allSettled(entries.map((e) => e.guard.close?.()));
    },
  };
  return bulwark;
}
