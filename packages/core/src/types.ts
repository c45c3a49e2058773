/**
 * The guard contract. Built-in and user-written guards implement the same interface.
 *
 * A guarded call runs, in order: every guard's `beforeInference` (in the order given), the model,
 * then every guard's `afterInference` (in the same order). Each hook returns a verdict, which the
 * pipeline records as a `Decision` and, in `enforce` mode, applies:
 *
 *   allow   nothing to do (returning `undefined` means allow)
 *   flag    record something suspicious, change nothing
 *   modify  replace the input (before) or the output (after) with `value`
 *   deny    refuse the call with a `BulwarkError` of the verdict's code
 *
 * In `monitor` mode every verdict is recorded (with `enforced: false`) and none is applied: a dry
 * run. A hook that throws or exceeds its timeout fails closed (`guard_failure`) unless the guard is
 * configured with `onError: 'allow'`, which is recorded.
 */
import type { AttributeValue } from '@opentelemetry/api';
import type { Principal } from './principal/principal.js';

export type GuardMode = 'enforce' | 'monitor';
export type GuardAction = 'allow' | 'flag' | 'modify' | 'deny';

/**
 * What a response reveals, from least to most. Output guards report the form they left so that
 * query budgets can weigh a call by what it disclosed.
 */
export type OutputForm = 'label' | 'top-k' | 'rounded' | 'raw';

export type Attributes = Readonly<Record<string, AttributeValue>>;

/** The model behind the pipeline, as it appears in telemetry. */
export interface ModelDescriptor {
  readonly name: string;
  readonly version?: string | undefined;
  /** sha256 of the model file, hex. */
  readonly digest?: string | undefined;
}

/** What a guard sees. One context per guarded call; guards must not keep it past the call. */
export interface GuardContext<I = unknown, O = unknown> {
  /** Random id of this call (from node:crypto), also on the span and in 5xx responses. */
  readonly requestId: string;
  /** Who is calling. `principal.hash` is the only form that may leave the process. */
  readonly principal: Principal;
  readonly model: ModelDescriptor;
  /** Rows in this call: a batch of N rows counts as N queries wherever queries are counted. */
  readonly queries: number;
  /** The input as it stands (after earlier guards' modifications). */
  readonly input: I;
  /** The output as it stands; `undefined` before inference. */
  readonly output: O | undefined;
  /** What the output reveals as it stands: `raw` until an output guard reduces it. */
  readonly outputForm: OutputForm;
  /** Aborted when the caller goes away. */
  readonly signal: AbortSignal | undefined;
  /**
   * Per-call scratch space, shared between a guard's `beforeInference` and `afterInference`
   * (e.g. a reservation to settle). Key it with something the guard owns, such as a Symbol.
   */
  readonly state: Map<unknown, unknown>;
  /** Response headers set by verdicts so far. */
  readonly responseHeaders: Readonly<Record<string, string>>;
}

interface VerdictBase {
  /** Stable machine-readable code, e.g. `score_rounded`. Shown in telemetry and errors. */
  readonly code: string;
  /**
   * Response headers to send (e.g. `RateLimit`). On allow, flag and modify verdicts they go on the
   * successful answer; on a deny, on the error answer.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Human-readable; must not contain raw inputs, secrets or scores. */
  readonly message: string;
  /** Extra low-cardinality attributes for telemetry (never raw inputs). */
  readonly attributes?: Attributes;
}

export interface AllowVerdict extends Partial<VerdictBase> {
  readonly action: 'allow';
}
export interface FlagVerdict extends VerdictBase {
  readonly action: 'flag';
}
export interface ModifyVerdict<T> extends VerdictBase {
  readonly action: 'modify';
  /** The replacement input (before inference) or output (after). */
  readonly value: T;
  /** For output changes: what the new output reveals. */
  readonly outputForm?: OutputForm;
}
export interface DenyVerdict extends VerdictBase {
  readonly action: 'deny';
  /** HTTP status; defaults to the status of `code` (see ERROR_CODES), 403 for custom codes. */
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

export type GuardVerdict<T> = AllowVerdict | FlagVerdict | ModifyVerdict<T> | DenyVerdict;
// biome-ignore lint/suspicious/noConfusingVoidType: hooks that only observe may return nothing at all.
type HookResult<T> = GuardVerdict<T> | undefined | void;

/**
 * A guard. Write one as a factory that validates its options once and returns this object
 * (see docs/architecture.md, "Writing a guard").
 */
export interface Guard<I = unknown, O = unknown> {
  /** kebab-case, unique within a pipeline; appears in decisions, spans, metrics and errors. */
  readonly name: string;
  /** Overrides the pipeline's mode for this guard; a pipeline in `monitor` mode wins. */
  readonly mode?: GuardMode | undefined;
  /** What a throw or timeout of this guard does: `deny` (default: fail closed) or `allow` (fail open, recorded). */
  readonly onError?: 'deny' | 'allow' | undefined;
  /** Time limit for an asynchronous hook, in ms (default: the pipeline's `guardTimeoutMs`). */
  readonly timeoutMs?: number | undefined;
  /** Inspect, reject or replace the input. Runs before the model. */
  beforeInference?(ctx: GuardContext<I, O>): HookResult<I> | Promise<HookResult<I>>;
  /** Inspect, reject or replace the output. Runs after the model. */
  afterInference?(ctx: GuardContext<I, O>): HookResult<O> | Promise<HookResult<O>>;
  /**
   * Called once the call is over, whatever happened, for every guard whose `beforeInference`
   * ran, in reverse order: the place to settle what `beforeInference` reserved (refund what was
   * not released, release a concurrency slot). `released` is true when the output went back to
   * the caller. Errors here are recorded (`guard_settle_failed`) and do not change the result.
   */
  settle?(ctx: GuardContext<I, O>, outcome: SettleOutcome): void | Promise<void>;
  /** Release resources (timers, connections). Called by `Bulwark.close()`. */
  close?(): void | Promise<void>;
}

/** How a call ended, as told to `Guard.settle`. */
export interface SettleOutcome {
  /** True when the output was returned to the caller. */
  readonly released: boolean;
  /** The refusal or failure, when there was one. */
  readonly error?: { readonly code: string; readonly guard?: string | undefined } | undefined;
}

/** One recorded verdict. */
export interface Decision {
  readonly guard: string;
  readonly phase: 'before' | 'after';
  readonly action: GuardAction;
  readonly code: string;
  readonly message: string;
  /** False when the verdict was only recorded (monitor mode) or had nothing to apply. */
  readonly enforced: boolean;
  readonly attributes?: Attributes | undefined;
}

/** A classifier's answer for one row: the shape the HTTP contract and output guards use. */
export interface Prediction {
  /** Index of the predicted class. */
  label: number;
  /** Class scores (probabilities), as far as the output guards leave them; absent in label-only answers. */
  scores?: number[];
}

/** A guard of any input and output type, as pipelines and policies hold them. */
// biome-ignore lint/suspicious/noExplicitAny: a pipeline mixes guards of different I/O types.
export type AnyGuard = Guard<any, any>;
