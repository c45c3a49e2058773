/**
 * OpenTelemetry SDK wiring. Only the CLI (an application) installs the SDK; the libraries use the
 * API alone. `--otlp <url>` exports spans and metrics over OTLP/HTTP (`<url>/v1/traces`,
 * `<url>/v1/metrics`); `--trace-stdout` prints each finished span as one JSON line. The resource
 * names the service (`service.name`, `service.version`, `service.instance.id`) beside the SDK's
 * own attributes; W3C trace context is the propagator (an incoming `traceparent` parents the
 * server's spans). A collector that does not answer is reported once, not silently dropped.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { metrics } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type ReadableSpan, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface OtelOptions {
  readonly otlp?: string | undefined;
  readonly traceStdout?: boolean | undefined;
  readonly serviceName?: string | undefined;
  /** Metric export interval, ms (default 10 s). */
  readonly metricIntervalMs?: number | undefined;
  /** Where to report a collector that does not answer (once). Default: stderr. */
  readonly log?: ((line: string) => void) | undefined;
}

export interface Otel {
  /** True when an SDK is installed (spans are recorded). */
  readonly enabled: boolean;
  /** Flushes and shuts the SDK down. */
  shutdown(): Promise<void>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Reports the first failed export of each kind, then stays quiet until one succeeds again. */
function reportOnce(kind: string, url: string, log: (line: string) => void) {
  let failing = false;
  return (result: ExportResult): void => {
    if (result.code === ExportResultCode.SUCCESS) {
      if (failing) log(`bulwark: telemetry: ${kind} export to ${url} works again`);
      failing = false;
    } else if (!failing) {
      failing = true;
      log(`bulwark: telemetry: ${kind} export to ${url} failed (${result.error?.message ?? 'no answer'}); retrying silently until it works`);
    }
  };
}

class ReportingSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly report: (r: ExportResult) => void,
  ) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      this.report(r);
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

class ReportingMetricExporter implements PushMetricExporter {
  constructor(
    private readonly inner: OTLPMetricExporter,
    private readonly report: (r: ExportResult) => void,
  ) {}
  export(m: ResourceMetrics, done: (r: ExportResult) => void): void {
    this.inner.export(m, (r) => {
      this.report(r);
      done(r);
    });
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  selectAggregationTemporality = (t: Parameters<OTLPMetricExporter['selectAggregationTemporality']>[0]) => this.inner.selectAggregationTemporality(t);
}

/** One JSON object per line per finished span: easy to grep, to pipe into jq, to ship as logs. */
class JsonLinesSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    let text = '';
    for (const s of spans) {
      const ctx = s.spanContext();
      text += `${JSON.stringify({
        name: s.name,
        kind: s.kind,
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        startTimeMs: hrTimeToMilliseconds(s.startTime),
        durationMs: hrTimeToMilliseconds(s.duration),
        status: s.status,
        attributes: s.attributes,
        events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      })}\n`;
    }
    process.stdout.write(text);
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Installs the SDK globally (when asked to export anywhere). */
export function setupOtel(options: OtelOptions): Otel {
  if (!options.otlp && !options.traceStdout) return { enabled: false, shutdown: async () => {} };
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName ?? 'bulwark',
      [ATTR_SERVICE_VERSION]: VERSION,
      // Semantic conventions (incubating): one id per process.
      'service.instance.id': randomUUID(),
    }),
  );
  const spanProcessors: SpanProcessor[] = [];
  let meterProvider: MeterProvider | undefined;
  if (options.otlp) {
    const base = options.otlp.replace(/\/+$/, '');
    const traces = new ReportingSpanExporter(new OTLPTraceExporter({ url: `${base}/v1/traces` }), reportOnce('span', `${base}/v1/traces`, log));
    spanProcessors.push(new BatchSpanProcessor(traces, { scheduledDelayMillis: 500 }));
    meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new ReportingMetricExporter(new OTLPMetricExporter({ url: `${base}/v1/metrics` }), reportOnce('metric', `${base}/v1/metrics`, log)),
          exportIntervalMillis: options.metricIntervalMs ?? 10_000,
        }),
      ],
    });
    metrics.setGlobalMeterProvider(meterProvider);
  }
  if (options.traceStdout) spanProcessors.push(new SimpleSpanProcessor(new JsonLinesSpanExporter()));
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  // Registers the provider, the async-hooks context manager and the W3C trace-context propagator.
  tracerProvider.register();
  return {
    enabled: true,
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider?.shutdown()]);
    },
  };
}
