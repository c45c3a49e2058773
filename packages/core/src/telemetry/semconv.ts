/**
 * Telemetry names Bulwark owns. The guardrail semantic conventions of OpenTelemetry are not settled
 * (the `gen_ai.security.*` proposals are open), so Bulwark uses its own `bulwark.` namespace, and the
 * stable OTel attribute where one matches (`error.type`). Documented in docs/telemetry.md; part of
 * the public contract.
 */

/** Span name of one guarded inference. */
export const SPAN_INFERENCE = 'bulwark.inference';
/** Span event recorded for every guard verdict. */
export const EVENT_GUARD_DECISION = 'bulwark.guard.decision';

export const ATTR_MODEL_NAME = 'bulwark.model.name';
export const ATTR_MODEL_VERSION = 'bulwark.model.version';
/** sha256 of the model file, hex. */
export const ATTR_MODEL_DIGEST = 'bulwark.model.digest';
/** Wall time of the model call, ms (float). */
export const ATTR_MODEL_DURATION_MS = 'bulwark.model.duration_ms';
export const ATTR_PRINCIPAL_HASH = 'bulwark.principal.hash';
export const ATTR_PRINCIPAL_KIND = 'bulwark.principal.kind';
export const ATTR_REQUEST_ID = 'bulwark.request.id';
/** Rows in the call (a batch of N rows counts as N queries). */
export const ATTR_QUERY_COUNT = 'bulwark.query.count';
/** Pipeline mode: `enforce` or `monitor`. */
export const ATTR_MODE = 'bulwark.mode';
/** `allowed`, `modified` (an output or input guard changed something), `denied`, or `error`. */
export const ATTR_OUTCOME = 'bulwark.outcome';
/** Code of the refusal or failure, when the outcome is `denied` or `error`. */
export const ATTR_ERROR_CODE = 'bulwark.error.code';
/** The guard that refused, when one did. */
export const ATTR_DENIED_BY = 'bulwark.denied_by';
/** What the returned output reveals: its disclosure kind, `raw`, `noised`, `rounded`, `top-k` or `label`. */
export const ATTR_OUTPUT_FORM = 'bulwark.output.form';
/** The disclosure in full, e.g. `rounded(decimals=2)`, `top-k(k=1)`, `noised(laplace,eps=0.5)`. */
export const ATTR_OUTPUT_DISCLOSURE = 'bulwark.output.disclosure';
/** Number of verdicts other than allow. */
export const ATTR_DECISION_COUNT = 'bulwark.decision.count';
/** Opt-in only (`captureContent`): the input rows, JSON, truncated. */
export const ATTR_CONTENT_INPUT = 'bulwark.content.input';
/** Opt-in only (`captureContent`): the output as returned to the caller, JSON, truncated. */
export const ATTR_CONTENT_OUTPUT = 'bulwark.content.output';

/** Where a refusal happened: `request` (before the pipeline: credentials, body, contract); absent for guarded calls. */
export const ATTR_STAGE = 'bulwark.stage';

/** Stable OTel attribute: the class of error, set only when the call failed on the server side. */
export const ATTR_ERROR_TYPE = 'error.type';

// Attributes of the `bulwark.guard.decision` event (and of the decision metric).
export const ATTR_GUARD_NAME = 'bulwark.guard.name';
export const ATTR_GUARD_PHASE = 'bulwark.guard.phase';
export const ATTR_GUARD_ACTION = 'bulwark.guard.action';
export const ATTR_GUARD_CODE = 'bulwark.guard.code';
export const ATTR_GUARD_ENFORCED = 'bulwark.guard.enforced';
export const ATTR_GUARD_MESSAGE = 'bulwark.guard.message';
export const ATTR_GUARD_DURATION_MS = 'bulwark.guard.duration_ms';

// Metric instruments.
/** Counter: guarded calls, by model and outcome. */
export const METRIC_REQUESTS = 'bulwark.requests';
/** Counter: rows queried, by model and outcome. */
export const METRIC_QUERIES = 'bulwark.queries';
/** Counter: guard verdicts, by guard, action, code and enforced. */
export const METRIC_DECISIONS = 'bulwark.decisions';
/** Personal data and secrets found by `redact`, by detector (paths stay on the span event: they can be many). */
export const METRIC_REDACTIONS = 'bulwark.redaction.matches';
export const ATTR_REDACTION_DETECTOR = 'bulwark.redaction.detector';
/** The parallel arrays a `redact` decision carries (see guards/redact). */
export const ATTR_REDACTION_DETECTORS = 'bulwark.redaction.detectors';
export const ATTR_REDACTION_COUNTS = 'bulwark.redaction.counts';
export const ATTR_REDACTION_PATHS = 'bulwark.redaction.paths';
export const ATTR_REDACTION_TOTAL = 'bulwark.redaction.total';
export const ATTR_REDACTION_DROPPED = 'bulwark.redaction.dropped';
/** Histogram (s): time spent in each guard hook, by guard and phase. */
export const METRIC_GUARD_DURATION = 'bulwark.guard.duration';
/** Histogram (s): time spent in the model call, by model. */
export const METRIC_MODEL_DURATION = 'bulwark.model.duration';

/**
 * Bucket boundaries (seconds) advised for the duration histograms: 5 µs to 10 s, roughly 1-2.5-5
 * per decade, so microsecond guards and second-long models both land in informative buckets.
 */
export const DURATION_BUCKETS_S: readonly number[] = Object.freeze([
  0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
