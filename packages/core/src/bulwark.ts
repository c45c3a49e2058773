/**
 * createBulwark: the guard pipeline, and `wrap`, the plain function wrapper around a predict call.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BulwarkError, ConfigError, isBulwarkError } from './errors.js';
import { CallContext } from './pipeline/context.js';
import { buildEntries, type GuardEntry } from './pipeline/guard-entry.js';
import { createGuardRunner } from './pipeline/run-guards.js';
import { isThenable } from './pipeline/run-hook.js';
import { type Principal, PrincipalHasher, type PrincipalInput } from './principal/principal.js';
import { Instrumentation, type Outcome, type TelemetryOptions } from './telemetry/instrumentation.js';
import * as C from './telemetry/semconv.js';
import type { AnyGuard, Decision, GuardMode, ModelDescriptor, OutputForm } from './types.js';

export interface BulwarkOptions {
  /** Guards, run in this order before inference and in this order after it. */
  readonly guards?: readonly AnyGuard[] | undefined;
  /** `enforce` (default) applies verdicts; `monitor` only records them (dry run). */
  readonly mode?: GuardMode | undefined;
  /** The model, as it appears in telemetry. */
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
  /** Source of request ids; defaults to `crypto.randomUUID`. Injectable for tests. */
  readonly requestId?: (() => string) | undefined;
}

/** What `onDecision` is told about the call, besides the decision. */
export interface DecisionInfo {
  readonly requestId: string;
  readonly principalHash: string;
  readonly model: ModelDescriptor;
  readonly queries: number;
}

export interface CallOptions {
  /** Who is calling: a user id string, `{ kind, id }`, or a Principal resolved by an adapter. */
  readonly principal: PrincipalInput | Principal;
  readonly signal?: AbortSignal | undefined;
}

export interface GuardedResult<O> {
  readonly output: O;
  /** Every verdict of the call, allows included, in the order they were made. */
  readonly decisions: readonly Decision[];
  readonly outputForm: OutputForm;
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
  /** Resolves and hashes caller identities (shared with adapters). */
  readonly principals: PrincipalHasher;
  /** Wraps a predict function (sync or async) into a guarded one. */
  wrap<I, O>(predict: (input: I, signal?: AbortSignal) => O | Promise<O>, options?: WrapOptions<I>): GuardedFunction<I, O>;
  /** Closes every guard that holds resources. */
  close(): Promise<void>;
}

function defaultCount(input: unknown): number {
  if (Array.isArray(input) && (input.length === 0 || typeof input[0] === 'object')) return input.length;
  return 1;
}

function isPrincipal(p: unknown): p is Principal {
  return typeof p === 'object' && p !== null && 'hash' in p && 'kind' in p && 'id' in p;
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
  const before = entries.filter((e) => e.guard.beforeInference !== undefined);
  const after = entries.filter((e) => e.guard.afterInference !== undefined);
  const model: ModelDescriptor = Object.freeze({ name: 'model', ...options.model });
  const hasher = new PrincipalHasher(options.principalSecret);
  const telemetry = new Instrumentation(options.telemetry, model);
  const newId = options.requestId ?? randomUUID;
  const onDecision = options.onDecision;

  const runner = createGuardRunner(telemetry, model, onDecision);

  function wrap<I, O>(predict: (input: I, signal?: AbortSignal) => O | Promise<O>, wrapOptions: WrapOptions<I> = {}): GuardedFunction<I, O> {
    if (typeof predict !== 'function') {
      throw new ConfigError([{ path: 'predict', rule: 'must be a function', received: typeof predict }], 'wrap');
    }
    const count = (wrapOptions.countQueries ?? defaultCount) as (input: unknown) => number;
    const validate = wrapOptions.validateInput as ((input: unknown) => void) | undefined;
    const takesSignal = predict.length > 1;

    /** The whole guarded call; returns the context, from which both call forms take what they need. */
    async function call(input: I, callOptions: CallOptions): Promise<CallContext<unknown, unknown>> {
      const p = callOptions?.principal;
      if (p === undefined || p === null || p === '') {
        throw new BulwarkError('unauthorized', 'no principal: pass { principal } to identify the caller');
      }
      const principal = isPrincipal(p) ? p : hasher.principal(p);
      const span = telemetry.startSpan();
      const recording = telemetry.recording(span);
      let outcome: Outcome = 'allowed';
      let ctx: CallContext<unknown, unknown> | undefined;
      let failure: BulwarkError | undefined;
      try {
        validate?.(input);
        ctx = new CallContext<unknown, unknown>(newId, principal, model, count(input), input, callOptions);
        if (recording) {
          telemetry.setAttributes(span, {
            [C.ATTR_REQUEST_ID]: ctx.requestId,
            [C.ATTR_PRINCIPAL_HASH]: principal.hash,
            [C.ATTR_PRINCIPAL_KIND]: principal.kind,
            [C.ATTR_QUERY_COUNT]: ctx.queries,
            [C.ATTR_MODE]: mode,
          });
          telemetry.content(span, C.ATTR_CONTENT_INPUT, input);
        }
        for (let i = 0; i < before.length; i++) {
          const pending = runner.step(before[i] as GuardEntry, 'before', ctx, span);
          if (pending !== undefined) await pending;
        }

        const t0 = performance.now();
        try {
          const out = takesSignal ? predict(ctx.input as I, callOptions.signal) : predict(ctx.input as I);
          ctx.output = isThenable(out) ? await out : out;
        } catch (err) {
          if (isBulwarkError(err)) throw err;
          throw new BulwarkError('model_unavailable', 'model inference failed', { cause: err });
        }
        const modelMs = performance.now() - t0;
        telemetry.modelDuration(modelMs / 1000);

        for (let i = 0; i < after.length; i++) {
          const pending = runner.step(after[i] as GuardEntry, 'after', ctx, span);
          if (pending !== undefined) await pending;
        }

        if (ctx.modified) outcome = 'modified';
        if (recording) {
          telemetry.setAttributes(span, {
            [C.ATTR_MODEL_DURATION_MS]: modelMs,
            [C.ATTR_OUTCOME]: outcome,
            [C.ATTR_OUTPUT_FORM]: ctx.outputForm,
            [C.ATTR_DECISION_COUNT]: ctx.decisions.filter((d) => d.action !== 'allow').length,
          });
          telemetry.content(span, C.ATTR_CONTENT_OUTPUT, ctx.output);
        }
        return ctx;
      } catch (err) {
        const e = isBulwarkError(err) ? err : new BulwarkError('internal_error', 'unexpected failure', { cause: err });
        outcome = e.isServerError ? 'error' : 'denied';
        if (e.requestId === undefined && ctx !== undefined) e.requestId = ctx.requestId;
        if (recording) {
          telemetry.setAttributes(span, {
            [C.ATTR_OUTCOME]: outcome,
            [C.ATTR_ERROR_CODE]: e.code,
            [C.ATTR_DECISION_COUNT]: ctx === undefined ? 0 : ctx.decisions.filter((d) => d.action !== 'allow').length,
            ...(e.guard === undefined ? {} : { [C.ATTR_DENIED_BY]: e.guard }),
            // A refusal is a decision, not an error: error.type only marks server-side failures.
            ...(e.isServerError ? { [C.ATTR_ERROR_TYPE]: e.code } : {}),
          });
        }
        failure = e;
        throw e;
      } finally {
        if (ctx?.toSettle !== undefined) {
          const pending = runner.settleAll(ctx, span, failure);
          if (pending !== undefined) await pending;
        }
        telemetry.end(span, outcome, ctx?.queries ?? 0);
      }
    }

    const guarded = (async (input: I, callOptions: CallOptions) => (await call(input, callOptions)).output) as GuardedFunction<I, O>;
    Object.defineProperties(guarded, {
      run: {
        value: async (input: I, callOptions: CallOptions): Promise<GuardedResult<O>> => {
          const ctx = await call(input, callOptions);
          return { output: ctx.output as O, decisions: ctx.decisions, outputForm: ctx.outputForm, requestId: ctx.requestId, headers: ctx.responseHeaders };
        },
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
    principals: hasher,
    wrap,
    async close() {
      await Promise.allSettled(entries.map((e) => e.guard.close?.()));
    },
  };
  return bulwark;
}
