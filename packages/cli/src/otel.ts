/**
 * OpenTelemetry SDK wiring. Only the CLI (an application) installs the SDK; the libraries use the
 * API alone. `--otlp <url>` exports spans and metrics over OTLP/HTTP (`<url>/v1/traces`,
 * `<url>/v1/metrics`); `--trace-stdout` prints finished spans.
 */
import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface OtelOptions {
  readonly otlp?: string | undefined;
  readonly traceStdout?: boolean | undefined;
  readonly serviceName?: string | undefined;
  /** Metric export interval, ms (default 10 s). */
  readonly metricIntervalMs?: number | undefined;
}

/** Installs the SDK globally; returns a function that flushes and shuts it down. */
export function setupOtel(options: OtelOptions): () => Promise<void> {
  if (!options.otlp && !options.traceStdout) return async () => {};
  const resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'bulwark-serve' });
  const spanProcessors: SpanProcessor[] = [];
  let meterProvider: MeterProvider | undefined;
  if (options.otlp) {
    const base = options.otlp.replace(/\/+$/, '');
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), { scheduledDelayMillis: 500 }));
    meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
          exportIntervalMillis: options.metricIntervalMs ?? 10_000,
        }),
      ],
    });
    metrics.setGlobalMeterProvider(meterProvider);
  }
  if (options.traceStdout) spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  tracerProvider.register();
  return async () => {
    await Promise.allSettled([tracerProvider.shutdown(), meterProvider?.shutdown()]);
  };
}
