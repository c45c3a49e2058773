/**
 * The guard contract. Built-in and user-written guards implement the same interface.
 *
 * A guarded call runs, in order: every guard's `beforeInference` (in the order given), the model,
 * then every guard's `afterInference` (in the same order), then every `settle` of a guard any of
 * whose hooks ran (in reverse order). Each hook returns a verdict, which the pipeline records as a
 * `Decision` and, in `enforce` mode, applies:
 *
 *   allow   nothing to do (returning `undefined` means allow)
 *   flag    record something suspicious, change nothing
 *   modify  replace the input (before) or the output (after) with `value`
 *   deny    refuse the call with a `BulwarkError` of the verdict's code
 *
 * Any verdict may carry `signals` (typed values for later guards, see signals.ts) and response
 * `headers`. In `monitor` mode every verdict is recorded (with `enforced: false`) and none is
 * applied, its signals included: a dry run. A hook that throws or exceeds its timeout fails closed
 * (`guard_failure`) unless the guard is configured with `onError: 'allow'`, which is recorded.
 */
import type { AttributeValue } from '@opentelemetry/api';
import type { Disclosure } from './disclosure.js';
import type { Principal } from './principal/principal.js';
import type { Clock } from './runtime/clock.js';
import type { RandomSource } from './runtime/random.js';
import type { SignalKey, SignalWrite } from './signals.js';

export type GuardMode = 'enforce' | 'monitor';
export type GuardAction = 'allow' | 'flag' | 'modify' | 'deny';

export type Attributes = Readonly<Record<string, AttributeValue>>;

/** The model behind the pipeline: its identity in telemetry, and its shape for guards that check options against it. */
export interface ModelDescriptor {
  readonly name: string;
  readonly version?: string | undefined;
  /** sha256 of the model file, hex. */
  readonly digest?: string | undefined;
  /** Features per input row (d), when known. */
  readonly features?: number | undefined;
  /** Classes (k): the length of a score vector, when known. */
  readonly classes?: number | undefined;
  /** Element type of the input tensor, e.g. `float32`, when known. */
  readonly dtype?: string | undefined;
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
  readonly disclosure: Disclosure;
  /**
   * The most any answer of this pipeline can reveal, known at construction from the output guards
   * that enforce a cap (`Guard.maxDisclosure`). Budgets reserve at its weight.
   */
  readonly maxDisclosure: Disclosure;
  /** Every verdict of the call so far, in order (allows included). */
  readonly decisions: readonly Decision[];
  /** Reads a signal written by an earlier guard (declare it in `signals.reads`). */
  get<T>(key: SignalKey<T>): T | undefined;
  /** The pipeline's randomness (node:crypto unless injected). Never use Math.random. */
  readonly random: RandomSource;
  /** The pipeline's clock (the system clock unless injected). */
  readonly clock: Clock;
  /** Aborted when the caller goes away. */
  readonly signal: AbortSignal | undefined;
  /**
   * Per-call scratch space of one guard, shared between its own hooks (e.g. a reservation to
   * settle). Key it with a Symbol the guard owns; to share with other guards, use signals.
   */
  readonly state: Map<unknown, unknown>;
  /** Response headers set by verdicts so far. */
  readonly responseHeaders: Readonly<Record<string, string>>;
}

/** Headers of a verdict: the headers, or a function that builds them when they are read. */
export type VerdictHeaders = Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);

interface VerdictBase {
  /** Stable machine-readable code, e.g. `score_rounded`. Shown in telemetry and errors. */
  readonly code: string;
  /**
   * Response headers to send (e.g. `RateLimit`). On allow, flag and modify verdicts they go on the
   * successful answer; on a deny, on the error answer. A function is called, as a method of the
   * verdict, only when the answer's headers are read (an adapter writing a response, `run`'s
   * result): in-process calls that never read them do not pay for building them.
   */
  readonly headers?: VerdictHeaders;
  /** Human-readable; must not contain raw inputs, secrets or scores. */
  readonly message: string;
  /** Extra low-cardinality attributes for telemetry (never raw inputs). */
  readonly attributes?: Attributes;
  /**
   * Signals for later guards (`key.of(value)`); each key must be in the guard's `signals.writes`.
   * Applied only when the guard enforces: a monitoring guard's signals are recorded, not seen.
   */
  readonly signals?: readonly SignalWrite<unknown>[];
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
  /** For output changes: what the new output reveals (default: unchanged). */
  readonly disclosure?: Disclosure;
}
export interface DenyVerdict extends VerdictBase {
  readonly action: 'deny';
  /** HTTP status; defaults to the status of `code` (see ERROR_CODES), 403 for custom codes. */
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  /** Where in the request the problem is, e.g. `inputs[2][0]` (shown to the client; never the value). */
  readonly path?: string;
}

export type GuardVerdict<T> = AllowVerdict | FlagVerdict | ModifyVerdict<T> | DenyVerdict;
// biome-ignore lint/suspicious/noConfusingVoidType: hooks that only observe may return nothing at all.
type HookResult<T> = GuardVerdict<T> | undefined | void;

/**
 * A guard. Write one with `defineGuard` (a folder, a schema, a factory; see docs/architecture.md,
 * "Writing a guard"), or as a plain object of this shape.
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
  /**
   * For output guards that always reduce what an answer reveals: the most any output they release
   * can reveal. The pipeline derives `ctx.maxDisclosure` from it, counting only guards that enforce
   * and fail closed (a monitoring or fail-open guard may let the raw output through).
   */
  readonly maxDisclosure?: Disclosure | undefined;
  /**
   * Signals this guard reads and writes; checked for order when the pipeline is built. `settles`:
   * keys read only in `settle`, once every hook of the call has run, so they may be written by any
   * guard of the pipeline, before or after this one (one must write them). That is how a guard
   * listed first learns what the call's detectors found, including on a call a later guard refused.
   */
  readonly signals?:
    | {
        readonly reads?: readonly SignalKey<unknown>[];
        readonly writes?: readonly SignalKey<unknown>[];
        readonly settles?: readonly SignalKey<unknown>[];
      }
    | undefined;
  /** Inspect, reject or replace the input. Runs before the model. */
  beforeInference?(ctx: GuardContext<I, O>): HookResult<I> | Promise<HookResult<I>>;
  /** Inspect, reject or replace the output. Runs after the model. */
  afterInference?(ctx: GuardContext<I, O>): HookResult<O> | Promise<HookResult<O>>;
  /**
   * Called once the call is over, whatever happened, for every guard any of whose hooks ran, in
   * reverse order: the place to settle what a hook reserved (refund what was not released, give
   * back a concurrency slot or privacy budget). `released` is true when the output went back to
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
  /** Signals the verdict carried (applied only when `enforced` or, for flags and allows, when the guard enforces). */
  readonly signals?: readonly SignalWrite<unknown>[] | undefined;
}

/** What `onDecision` is told about the call, besides the decision. */
export interface DecisionInfo {
  readonly requestId: string;
  readonly principalHash: string;
  readonly model: ModelDescriptor;
  readonly queries: number;
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
