/**
 * Spans and metrics through @opentelemetry/api only. Every call is wrapped so that a throwing
 * tracer, meter or exporter can neither fail nor alter a guarded call: telemetry is lost instead
 * (as the OpenTelemetry error-handling spec asks). With no SDK registered the API is a no-op and
 * the cost is a few property reads.
 */
import { type Counter, createNoopMeter, type Histogram, type Meter, metrics, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { Decision, ModelDescriptor } from '../types.js';
import * as C from './semconv.js';

/** The API's no-op histogram (a singleton): what a meter without an SDK hands out. */
const NOOP_HISTOGRAM = createNoopMeter().createHistogram('noop');

export interface TelemetryOptions {
  /** Tracer to use; defaults to the global provider's `@bulwark/core` tracer. */
  readonly tracer?: Tracer | undefined;
  /** Meter to use; defaults to the global provider's `@bulwark/core` meter. */
  readonly meter?: Meter | undefined;
  /**
   * Record inputs and returned outputs on spans (truncated to `maxContentLength`). Off by default:
   * raw inputs are personal data in most deployments.
   */
  readonly captureContent?: boolean | undefined;
  readonly maxContentLength?: number | undefined;
}

const SCOPE = '@bulwark/core';
const SCOPE_VERSION = '0.1.0';

/** Called when telemetry itself fails. Swallows: telemetry must never change behaviour. */
function ignore(): void {}

/** How a call ended, as recorded on its span and metrics. */
export type Outcome = 'allowed' | 'modified' | 'denied' | 'error';
export type SpanRef = Span | undefined;

export class Instrumentation {
  readonly captureContent: boolean;
  /** Attribute objects built once: the hot path allocates none when nothing records. */
  readonly #spanAttributes: Record<string, string>;
  readonly #modelAttributes: Record<string, string>;
  readonly #outcomeAttributes: Record<Outcome, Record<string, string>>;
  readonly #tracer: Tracer;
  readonly #maxContent: number;
  readonly #requests: Counter | undefined;
  readonly #queries: Counter | undefined;
  readonly #decisions: Counter | undefined;
  readonly #redactions: Counter | undefined;
  readonly #guardDuration: Histogram | undefined;
  /**
   * True when durations go somewhere: the meter is not the API's no-op (the metrics API has no
   * proxy, so a meter obtained before an SDK is registered stays a no-op for good). When false and
   * the span does not record, the pipeline reads no clock for guard and model durations.
   */
  readonly timesDurations: boolean;
  readonly #modelDuration: Histogram | undefined;

  constructor(options: TelemetryOptions = {}, model: ModelDescriptor = { name: 'model' }) {
    this.captureContent = options.captureContent === true;
    this.#spanAttributes = {
      [C.ATTR_MODEL_NAME]: model.name,
      ...(model.version === undefined ? {} : { [C.ATTR_MODEL_VERSION]: model.version }),
      ...(model.digest === undefined ? {} : { [C.ATTR_MODEL_DIGEST]: model.digest }),
    };
    this.#modelAttributes = { [C.ATTR_MODEL_NAME]: model.name };
    const byOutcome = (outcome: Outcome) => ({ [C.ATTR_MODEL_NAME]: model.name, [C.ATTR_OUTCOME]: outcome });
    this.#outcomeAttributes = { allowed: byOutcome('allowed'), modified: byOutcome('modified'), denied: byOutcome('denied'), error: byOutcome('error') };
    this.#maxContent = options.maxContentLength ?? 4096;
    this.#tracer = options.tracer ?? trace.getTracer(SCOPE, SCOPE_VERSION);
    let meter: Meter | undefined;
    try {
      meter = options.meter ?? metrics.getMeter(SCOPE, SCOPE_VERSION);
      this.#requests = meter.createCounter(C.METRIC_REQUESTS, { unit: '{request}', description: 'Guarded inference calls, and requests refused before them' });
      this.#queries = meter.createCounter(C.METRIC_QUERIES, { unit: '{row}', description: 'Rows queried (a batch of N rows is N)' });
      this.#decisions = meter.createCounter(C.METRIC_DECISIONS, { unit: '{decision}', description: 'Guard verdicts other than allow' });
      this.#redactions = meter.createCounter(C.METRIC_REDACTIONS, {
        unit: '{match}',
        description: 'Personal data and secrets redacted from outputs, by detector',
      });
      // Guards take microseconds, models milliseconds: the SDK's default boundaries (0, 5, 10 … s) would put every sample in the first bucket.
      const advice = { explicitBucketBoundaries: [...C.DURATION_BUCKETS_S] };
      this.#guardDuration = meter.createHistogram(C.METRIC_GUARD_DURATION, { unit: 's', description: 'Time in guard hooks', advice });
      this.#modelDuration = meter.createHistogram(C.METRIC_MODEL_DURATION, { unit: 's', description: 'Time in the model call', advice });
    } catch {
      // A meter that cannot create instruments: run without metrics.
    }
    this.timesDurations = this.#guardDuration !== undefined && this.#guardDuration !== NOOP_HISTOGRAM;
  }

  startSpan(): SpanRef {
    try {
      return this.#tracer.startSpan(C.SPAN_INFERENCE, { kind: SpanKind.INTERNAL, attributes: this.#spanAttributes });
    } catch {
      return undefined;
    }
  }

  /** True when the span records (an SDK is registered and sampled it): only then build attributes. */
  recording(span: Span | undefined): span is Span {
    if (span === undefined) return false;
    try {
      return span.isRecording();
    } catch {
      return false;
    }
  }

  setAttributes(span: Span | undefined, attributes: Record<string, string | number | boolean>): void {
    if (!this.recording(span)) return;
    try {
      span.setAttributes(attributes);
    } catch {
      ignore();
    }
  }

  decision(span: Span | undefined, d: Decision, durationMs: number | undefined): void {
    if (d.action !== 'allow') {
      try {
        this.#decisions?.add(1, {
          [C.ATTR_GUARD_NAME]: d.guard,
          [C.ATTR_GUARD_ACTION]: d.action,
          [C.ATTR_GUARD_CODE]: d.code,
          [C.ATTR_GUARD_ENFORCED]: d.enforced,
        });
        const detectors = d.attributes?.[C.ATTR_REDACTION_DETECTORS];
        const counts = d.attributes?.[C.ATTR_REDACTION_COUNTS];
        if (this.#redactions !== undefined && Array.isArray(detectors) && Array.isArray(counts)) {
          for (let i = 0; i < detectors.length; i++) {
            const n = counts[i];
            if (typeof n === 'number' && typeof detectors[i] === 'string')
              this.#redactions.add(n, { [C.ATTR_GUARD_NAME]: d.guard, [C.ATTR_REDACTION_DETECTOR]: detectors[i] as string });
          }
        }
      } catch {
        ignore();
      }
    }
    if (!this.recording(span)) return;
    try {
      span.addEvent(C.EVENT_GUARD_DECISION, {
        ...d.attributes,
        [C.ATTR_GUARD_NAME]: d.guard,
        [C.ATTR_GUARD_PHASE]: d.phase,
        [C.ATTR_GUARD_ACTION]: d.action,
        [C.ATTR_GUARD_CODE]: d.code,
        [C.ATTR_GUARD_MESSAGE]: d.message,
        [C.ATTR_GUARD_ENFORCED]: d.enforced,
        ...(durationMs === undefined ? {} : { [C.ATTR_GUARD_DURATION_MS]: durationMs }),
      });
    } catch {
      ignore();
    }
  }

  /** `attributes`: the guard's name and phase, built once per guard (see `guardDurationAttributes`). */
  guardDuration(attributes: Readonly<Record<string, string>>, seconds: number): void {
    if (!this.timesDurations) return;
    try {
      this.#guardDuration?.record(seconds, attributes);
    } catch {
      ignore();
    }
  }

  modelDuration(seconds: number): void {
    if (!this.timesDurations) return;
    try {
      this.#modelDuration?.record(seconds, this.#modelAttributes);
    } catch {
      ignore();
    }
  }

  content(span: Span | undefined, key: string, value: unknown): void {
    if (!this.captureContent || !this.recording(span)) return;
    try {
      const s = JSON.stringify(value) ?? '';
      span.setAttribute(key, s.length > this.#maxContent ? `${s.slice(0, this.#maxContent)}…` : s);
    } catch {
      ignore();
    }
  }

  /**
   * A request refused before the pipeline (bad credentials, body, contract): one short span with
   * its code, and a count in the request metric, so a flood of refusals is visible.
   */
  refusal(code: string, requestId: string, principal: { readonly hash: string; readonly kind: string } | undefined): void {
    const span = this.startSpan();
    if (this.recording(span)) {
      this.setAttributes(span, {
        [C.ATTR_REQUEST_ID]: requestId,
        [C.ATTR_OUTCOME]: 'denied',
        [C.ATTR_ERROR_CODE]: code,
        [C.ATTR_QUERY_COUNT]: 0,
        [C.ATTR_STAGE]: 'request',
        ...(principal === undefined ? {} : { [C.ATTR_PRINCIPAL_HASH]: principal.hash, [C.ATTR_PRINCIPAL_KIND]: principal.kind }),
      });
    }
    this.end(span, 'denied', 0);
  }

  end(span: SpanRef, outcome: Outcome, queries: number): void {
    try {
      const attrs = this.#outcomeAttributes[outcome];
      this.#requests?.add(1, attrs);
      this.#queries?.add(queries, attrs);
    } catch {
      ignore();
    }
    if (span === undefined) return;
    try {
      span.end();
    } catch {
      ignore();
    }
  }
}

/** The attributes of a guard's duration samples, per phase: built once per guard, not per call. */
export function guardDurationAttributes(guard: string): {
  readonly before: Readonly<Record<string, string>>;
  readonly after: Readonly<Record<string, string>>;
} {
  return {
    before: Object.freeze({ [C.ATTR_GUARD_NAME]: guard, [C.ATTR_GUARD_PHASE]: 'before' }),
    after: Object.freeze({ [C.ATTR_GUARD_NAME]: guard, [C.ATTR_GUARD_PHASE]: 'after' }),
  };
}
