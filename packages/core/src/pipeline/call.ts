/**
 * The sequence of one guarded call: resolve the caller, validate the input, `beforeInference`
 * hooks, the model, `afterInference` hooks, `settle` hooks, with one span around it all.
 */
import { describeDisclosure } from '../disclosure.js';
import { BulwarkError, isBulwarkError } from '../errors.js';
import type { Principal, PrincipalHasher, PrincipalInput } from '../principal/principal.js';
import type { Instrumentation, Outcome } from '../telemetry/instrumentation.js';
import * as C from '../telemetry/semconv.js';
import type { GuardMode } from '../types.js';
import { isThenable } from '../util/timeout.js';
import { CallContext, type PipelineRuntime } from './context.js';
import type { GuardEntry } from './guard-entry.js';
import type { GuardRunner } from './run-guards.js';

export interface CallOptions {
  /** Who is calling: a user id string, `{ kind, id }`, or a Principal resolved by an adapter. */
  readonly principal: PrincipalInput | Principal;
  readonly signal?: AbortSignal | undefined;
}

/** Everything a call needs from its pipeline, built once. */
export interface CallPlan {
  readonly runtime: PipelineRuntime;
  readonly mode: GuardMode;
  readonly before: readonly GuardEntry[];
  readonly after: readonly GuardEntry[];
  readonly runner: GuardRunner;
  readonly telemetry: Instrumentation;
  readonly hasher: PrincipalHasher;
}

/** What a predict function and its wrapping options look like to the call sequence. */
export interface CallTarget {
  readonly predict: (input: unknown, signal?: AbortSignal) => unknown;
  readonly takesSignal: boolean;
  readonly count: (input: unknown) => number;
  readonly validate: ((input: unknown) => void) | undefined;
}

function isPrincipal(p: unknown): p is Principal {
  return typeof p === 'object' && p !== null && 'hash' in p && 'kind' in p && 'id' in p;
}

/** What a call resolves with: the output alone (the guarded function), or the output with its decisions (`run`). */
export interface CallResult {
  readonly output: unknown;
  readonly decisions: readonly import('../types.js').Decision[];
  readonly disclosure: import('../disclosure.js').Disclosure;
  readonly requestId: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Runs one guarded call; resolves with the output, or (`full`) with the output and what the guards said. */
export async function runCall(plan: CallPlan, target: CallTarget, input: unknown, callOptions: CallOptions, full: boolean): Promise<unknown> {
  const { telemetry, runner, before, after, runtime } = plan;
  const p = callOptions?.principal;
  if (p === undefined || p === null || p === '') {
    throw new BulwarkError('unauthorized', 'no principal: pass { principal } to identify the caller');
  }
  const principal = isPrincipal(p) ? p : plan.hasher.principal(p);
  const span = telemetry.startSpan();
  const recording = telemetry.recording(span);
  let outcome: Outcome = 'allowed';
  let ctx: CallContext<unknown, unknown> | undefined;
  let failure: BulwarkError | undefined;
  try {
    target.validate?.(input);
    ctx = new CallContext<unknown, unknown>(runtime, principal, target.count(input), input, callOptions);
    const timing = recording || telemetry.timesDurations;
    ctx.timing = timing;
    if (recording) {
      telemetry.setAttributes(span, {
        [C.ATTR_REQUEST_ID]: ctx.requestId,
        [C.ATTR_PRINCIPAL_HASH]: principal.hash,
        [C.ATTR_PRINCIPAL_KIND]: principal.kind,
        [C.ATTR_QUERY_COUNT]: ctx.queries,
        [C.ATTR_MODE]: plan.mode,
      });
      telemetry.content(span, C.ATTR_CONTENT_INPUT, input);
    }
    for (let i = 0; i < before.length; i++) {
      const pending = runner.step(before[i] as GuardEntry, 'before', ctx, span);
      if (pending !== undefined) await pending;
    }

    const t0 = timing ? runtime.clock.monotonic() : 0;
    try {
      const out = target.takesSignal ? target.predict(ctx.input, callOptions.signal) : target.predict(ctx.input);
      ctx.output = isThenable(out) ? await out : out;
    } catch (err) {
      if (isBulwarkError(err)) throw err;
      throw new BulwarkError('model_unavailable', 'model inference failed', { cause: err });
    }
    const modelMs = timing ? runtime.clock.monotonic() - t0 : 0;
    if (timing) telemetry.modelDuration(modelMs / 1000);

    for (let i = 0; i < after.length; i++) {
      const pending = runner.step(after[i] as GuardEntry, 'after', ctx, span);
      if (pending !== undefined) await pending;
    }

    if (ctx.modified) outcome = 'modified';
    if (recording) {
      telemetry.setAttributes(span, {
        [C.ATTR_MODEL_DURATION_MS]: modelMs,
        [C.ATTR_OUTCOME]: outcome,
        [C.ATTR_OUTPUT_FORM]: ctx.disclosure.kind,
        [C.ATTR_OUTPUT_DISCLOSURE]: describeDisclosure(ctx.disclosure),
        [C.ATTR_DECISION_COUNT]: countNonAllow(ctx),
      });
      telemetry.content(span, C.ATTR_CONTENT_OUTPUT, ctx.output);
    }
    if (!full) return ctx.output;
    const result: CallResult = {
      output: ctx.output,
      decisions: ctx.decisions,
      disclosure: ctx.disclosure,
      requestId: ctx.requestId,
      headers: ctx.responseHeaders,
    };
    return result;
  } catch (err) {
    const e = isBulwarkError(err) ? err : new BulwarkError('internal_error', 'unexpected failure', { cause: err });
    outcome = e.isServerError ? 'error' : 'denied';
    // Every refusal or failure of a call carries its id (the span has it too), also one refused by validateInput.
    if (e.requestId === undefined) e.requestId = ctx !== undefined ? ctx.requestId : runtime.newId();
    if (recording) {
      telemetry.setAttributes(span, {
        [C.ATTR_REQUEST_ID]: e.requestId,
        [C.ATTR_OUTCOME]: outcome,
        [C.ATTR_ERROR_CODE]: e.code,
        [C.ATTR_DECISION_COUNT]: ctx === undefined ? 0 : countNonAllow(ctx),
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

function countNonAllow(ctx: CallContext<unknown, unknown>): number {
  let n = 0;
  for (const d of ctx.decisions) if (d.action !== 'allow') n++;
  return n;
}
