/**
 * Errors with stable codes. Every refusal Bulwark makes is a `BulwarkError` whose `code` is one of
 * `ERROR_CODES` (or a custom guard's own code), with the HTTP status the adapters answer with.
 * Codes are part of the public contract: see docs/errors.md for cause and fix of each.
 */

/** Codes, their HTTP status, and whether the message may be shown to the client. */
export const ERROR_CODES = {
  /** The request body is not acceptable JSON (syntax, depth, size of arrays, forbidden keys, unknown fields). */
  invalid_request: 400,
  /** The inputs do not fit the model: wrong shape, non-numbers, non-finite after dtype conversion. */
  invalid_input: 422,
  /** An input guard judged the input anomalous (out of distribution, adversarial). */
  anomalous_input: 422,
  /**
   * A detector judged the call part of an attack (near-duplicates: a query-based evasion search;
   * extraction detection): refused whoever sends it.
   */
  attack_suspected: 403,
  /** The caller's risk, raised by detectors, reached the level where the policy refuses it. Retry-After when it decays. */
  caller_blocked: 403,
  /** No credentials, or credentials that are not known. */
  unauthorized: 401,
  /** A guard refused the caller for a reason of its own (custom guards). */
  forbidden: 403,
  /** No such route. */
  not_found: 404,
  /** The route exists but not for this method. */
  method_not_allowed: 405,
  /** The body is larger than the configured limit. */
  payload_too_large: 413,
  /** The request is not `application/json`. */
  unsupported_media_type: 415,
  /** Too many queries in a short time: retry after `Retry-After` seconds. */
  rate_limited: 429,
  /** A quota or privacy budget for the period is spent. */
  budget_exhausted: 429,
  /**
   * This call alone is larger than a limit allows at once (a batch above the rate burst, a cost
   * above a whole quota): it can never be admitted as sent. Send smaller batches; no Retry-After.
   */
  exceeds_limit: 422,
  /** A guard threw or timed out and is configured to fail closed. */
  guard_failure: 500,
  /** Unexpected failure inside Bulwark; details are in telemetry, never in the response. */
  internal_error: 500,
  /** The model is not loaded or its inference failed. */
  model_unavailable: 503,
  /**
   * The model file failed verification before any runtime saw it: its digest or signature, its
   * links, its size, or what its graph holds (external data, custom operator domains, limits).
   */
  model_rejected: 503,
  /** A state store (e.g. Redis) is unreachable or too slow, and the guard fails closed. */
  store_unavailable: 503,
  /** Fresh privacy noise ran out in a burst (it is drawn ahead of time, never on a request); retry after Retry-After. */
  noise_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const BRAND = Symbol.for('bulwark.error');

export interface BulwarkErrorOptions {
  /** HTTP status; defaults to the code's status, or 403 for custom codes. */
  readonly status?: number;
  /** Where in the input or policy the problem is, e.g. `inputs[3][7]` or `guards[0].with.k`. */
  readonly path?: string;
  /** The guard that refused, when a guard did. */
  readonly guard?: string;
  /** Seconds after which a retry may succeed (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** Extra response headers (e.g. RateLimit fields). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * An error with a stable `code`. Recognise it with `isBulwarkError` rather than `instanceof`, which
 * fails when two copies of @bulwark/core are installed.
 */
export class BulwarkError extends Error {
  override readonly name = 'BulwarkError';
  readonly code: string;
  readonly status: number;
  readonly path: string | undefined;
  readonly guard: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The guarded call's request id, set by the pipeline when the call got that far. */
  requestId: string | undefined;
  readonly [BRAND] = true;

  constructor(code: ErrorCode | (string & {}), message: string, options: BulwarkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? statusOf(code);
    this.path = options.path;
    this.guard = options.guard;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
    this.requestId = undefined;
  }

  /** True for failures of the server side (5xx): their message is not shown to clients. */
  get isServerError(): boolean {
    return this.status >= 500;
  }
}

/** The HTTP status of a code: the table's, or 403 for codes Bulwark does not know. */
export function statusOf(code: string): number {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : 403;
}

/** True for a `BulwarkError` from any copy of @bulwark/core. */
export function isBulwarkError(value: unknown): value is BulwarkError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Where the documentation of configuration errors lives, relative to the repository root. */
export const CONFIG_DOCS = 'docs/errors.md#configuration-errors';

/**
 * Codes of configuration problems. Each is documented in docs/errors.md, "Configuration errors".
 */
export type ConfigIssueCode =
  /** A value breaks its rule (type, range, pattern). */
  | 'invalid_value'
  /** A key the schema does not know (a typo in a security policy must not silently weaken it). */
  | 'unknown_key'
  /** A required key is missing. */
  | 'missing_key'
  /** The same key twice in one JSON object. */
  | 'duplicate_key'
  /** The file cannot be read or parsed. */
  | 'unreadable'
  /** `use:` names no registered guard. */
  | 'unknown_guard'
  /** A guard object (or definition) breaks the guard contract. */
  | 'invalid_guard'
  /** A plugin module cannot be loaded or exports no guard definition. */
  | 'invalid_plugin'
  /** A store name that the policy does not define. */
  | 'unknown_store'
  /** A tier (e.g. of an API key) that a guard does not define. */
  | 'unknown_tier'
  /** A guard reads a signal that no earlier guard writes. */
  | 'signal_order'
  /** An option does not fit the model (e.g. a profile of 30 features on a 64-feature model). */
  | 'model_mismatch'
  /** Options that are valid one by one but not together. */
  | 'conflict';

/** One configuration problem. */
export interface ConfigIssue {
  /** What kind of problem (see `ConfigIssueCode`; custom guards may use their own). */
  readonly code: ConfigIssueCode | (string & {});
  /** Dotted path, e.g. `guards[0].with.k`. */
  readonly path: string;
  /** The rule broken, e.g. `must be an integer >= 1`. */
  readonly rule: string;
  /** A short rendering of the value received (never a whole large value, never a secret). */
  readonly received: string;
}

/** An issue as written by a validator: `code` defaults to `invalid_value`. */
export type ConfigIssueInput = Omit<ConfigIssue, 'code'> & { readonly code?: ConfigIssue['code'] | undefined };

const CONFIG_BRAND = Symbol.for('bulwark.config-error');

/**
 * A policy or options problem found at construction. Lists every problem at once, each with its
 * code, path, rule and the value received, and points at the documentation. Recognise it with
 * `isConfigError` (works across duplicate installs).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  readonly issues: readonly ConfigIssue[];
  /** What was being configured: a file name, or e.g. `budget options`. */
  readonly subject: string;
  /** Where the codes are explained. */
  readonly docs = CONFIG_DOCS;
  readonly [CONFIG_BRAND] = true;
  constructor(issues: readonly ConfigIssueInput[], subject = 'config', options?: { cause?: unknown }) {
    const full = issues.map((i): ConfigIssue => ({ code: i.code ?? 'invalid_value', path: i.path, rule: i.rule, received: i.received }));
    super(`${subject} is invalid:\n${full.map((i) => `  - ${formatIssue(i)}`).join('\n')}\n(see ${CONFIG_DOCS})`, options);
    this.issues = Object.freeze(full);
    this.subject = subject;
  }
}

/** True for a `ConfigError` from any copy of @bulwark/core. */
export function isConfigError(value: unknown): value is ConfigError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONFIG_BRAND] === true;
}

export function formatIssue(i: ConfigIssueInput): string {
  return `${i.path || '(root)'}: ${i.rule} (received ${i.received}) [${i.code ?? 'invalid_value'}]`;
}

/** Issues of a caught ConfigError moved under `prefix` (e.g. a guard's options under `guards[2].with`). */
export function prefixIssues(err: ConfigError, prefix: string): ConfigIssue[] {
  return err.issues.map((i) => ({ ...i, path: i.path === '' ? prefix : prefix === '' ? i.path : `${prefix}.${i.path}` }));
}
