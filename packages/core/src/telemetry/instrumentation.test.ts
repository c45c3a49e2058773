import type { Span, Tracer } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createBulwark } from '../bulwark.js';
import { maskOutput } from '../guards/mask-output/index.js';
import { redact } from '../guards/redact/index.js';
import type { Guard, Prediction } from '../types.js';
import * as C from './semconv.js';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

function sdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    exporter,
    reader,
    telemetry: { tracer: tracerProvider.getTracer('test'), meter: meterProvider.getMeter('test') },
  };
}

const SECRET_ROW = [123.456, 7.891];
const model = (rows: number[][]): Prediction[] => rows.map(() => ({ label: 1, scores: [0.123457, 0.876543] }));
const flag: Guard = {
  name: 'odd-detector',
  beforeInference: () => ({ action: 'flag', code: 'odd_input', message: 'looks odd', attributes: { 'bulwark.odd.score': 3 } }),
};

function metric(rm: ResourceMetrics, name: string) {
  return rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

describe('telemetry', () => {
  it('records one span per call with model, principal hash, outcome and each decision', async () => {
    const { exporter, telemetry } = sdk();
    const b = createBulwark({
      model: { name: 'fraud', version: '3', digest: 'ab'.repeat(32) },
      guards: [flag, maskOutput({ form: 'label' })],
      telemetry,
    });
    await b.wrap(model)([SECRET_ROW, SECRET_ROW], { principal: { kind: 'api-key', id: 'sk_live_supersecret' } });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe(C.SPAN_INFERENCE);
    const a = span?.attributes ?? {};
    expect(a[C.ATTR_MODEL_NAME]).toBe('fraud');
    expect(a[C.ATTR_MODEL_VERSION]).toBe('3');
    expect(a[C.ATTR_MODEL_DIGEST]).toBe('ab'.repeat(32));
    expect(a[C.ATTR_PRINCIPAL_HASH]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a[C.ATTR_PRINCIPAL_KIND]).toBe('api-key');
    expect(a[C.ATTR_QUERY_COUNT]).toBe(2);
    expect(a[C.ATTR_OUTCOME]).toBe('modified');
    expect(a[C.ATTR_OUTPUT_FORM]).toBe('label');
    expect(typeof a[C.ATTR_MODEL_DURATION_MS]).toBe('number');
    const events = span?.events.filter((e) => e.name === C.EVENT_GUARD_DECISION) ?? [];
    expect(events.map((e) => [e.attributes?.[C.ATTR_GUARD_NAME], e.attributes?.[C.ATTR_GUARD_ACTION], e.attributes?.[C.ATTR_GUARD_CODE]])).toEqual([
      ['odd-detector', 'flag', 'odd_input'],
      ['mask-output', 'modify', 'output_label'],
    ]);
    expect(events[0]?.attributes?.['bulwark.odd.score']).toBe(3);
    expect(span?.status.code).toBe(0); // UNSET: nothing failed
  });

  it('never puts raw inputs, outputs or principal ids in telemetry unless asked', async () => {
    const { exporter, telemetry } = sdk();
    await createBulwark({ guards: [flag], telemetry }).wrap(model)([SECRET_ROW], { principal: { kind: 'api-key', id: 'sk_live_supersecret' } });
    const dump = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.attributes, s.events, s.name]));
    expect(dump).not.toContain('supersecret');
    expect(dump).not.toContain('123.456');
    expect(dump).not.toContain('0.123457');
  });

  it('captures content only when captureContent is on', async () => {
    const { exporter, telemetry } = sdk();
    await createBulwark({ telemetry: { ...telemetry, captureContent: true } }).wrap(model)([SECRET_ROW], { principal: 'u' });
    const a = exporter.getFinishedSpans()[0]?.attributes ?? {};
    expect(a[C.ATTR_CONTENT_INPUT]).toBe(JSON.stringify([SECRET_ROW]));
    expect(String(a[C.ATTR_CONTENT_OUTPUT])).toContain('0.123457');
  });

  it('marks a refusal as a decision, not a span error', async () => {
    const { exporter, telemetry } = sdk();
    const deny: Guard = { name: 'budget', beforeInference: () => ({ action: 'deny', code: 'rate_limited', message: 'slow' }) };
    await expect(createBulwark({ guards: [deny], telemetry }).wrap(model)([SECRET_ROW], { principal: 'u' })).rejects.toThrow();
    const span = exporter.getFinishedSpans()[0];
    expect(span?.attributes[C.ATTR_OUTCOME]).toBe('denied');
    expect(span?.attributes[C.ATTR_ERROR_CODE]).toBe('rate_limited');
    expect(span?.attributes[C.ATTR_DENIED_BY]).toBe('budget');
    expect(span?.attributes[C.ATTR_ERROR_TYPE]).toBeUndefined();
    expect(span?.status.code).toBe(0);
  });

  it('sets error.type on server-side failures', async () => {
    const { exporter, telemetry } = sdk();
    const boom: Guard = {
      name: 'boom',
      beforeInference: () => {
        throw new Error('x');
      },
    };
    await expect(createBulwark({ guards: [boom], telemetry }).wrap(model)([SECRET_ROW], { principal: 'u' })).rejects.toThrow();
    expect(exporter.getFinishedSpans()[0]?.attributes[C.ATTR_ERROR_TYPE]).toBe('guard_failure');
  });

  it('records request, query, decision and duration metrics', async () => {
    const { reader, telemetry } = sdk();
    const b = createBulwark({ model: { name: 'fraud' }, guards: [flag], telemetry });
    const g = b.wrap(model);
    await g([SECRET_ROW, SECRET_ROW, SECRET_ROW], { principal: 'u' });
    await g([SECRET_ROW], { principal: 'u' });
    const { resourceMetrics } = await reader.collect();
    const requests = metric(resourceMetrics, C.METRIC_REQUESTS);
    expect(requests?.dataPoints[0]?.value).toBe(2);
    expect(requests?.dataPoints[0]?.attributes).toEqual({ [C.ATTR_MODEL_NAME]: 'fraud', [C.ATTR_OUTCOME]: 'allowed' });
    expect(metric(resourceMetrics, C.METRIC_QUERIES)?.dataPoints[0]?.value).toBe(4);
    const decisions = metric(resourceMetrics, C.METRIC_DECISIONS);
    expect(decisions?.dataPoints[0]?.value).toBe(2);
    expect(decisions?.dataPoints[0]?.attributes[C.ATTR_GUARD_CODE]).toBe('odd_input');
    expect(metric(resourceMetrics, C.METRIC_GUARD_DURATION)?.descriptor.unit).toBe('s');
    expect(metric(resourceMetrics, C.METRIC_MODEL_DURATION)).toBeDefined();
  });

  it('counts what redact found by detector in a metric, with the paths on the span event only', async () => {
    const { exporter, reader, telemetry } = sdk();
    const b = createBulwark({ guards: [redact({})], telemetry });
    const records = () => [{ label: 0, note: 'mail jo@example.com or al@example.org, card 4111 1111 1111 1111' }];
    await b.wrap(records)([[1]], { principal: 'p' });
    await b.wrap(records)([[1]], { principal: 'p' });
    const { resourceMetrics } = await reader.collect();
    const points = metric(resourceMetrics, C.METRIC_REDACTIONS)?.dataPoints ?? [];
    expect(Object.fromEntries(points.map((p) => [p.attributes[C.ATTR_REDACTION_DETECTOR], p.value]))).toEqual({ email: 4, card: 2 });
    for (const p of points) expect(Object.keys(p.attributes).sort()).toEqual([C.ATTR_GUARD_NAME, C.ATTR_REDACTION_DETECTOR].sort());
    const event = exporter.getFinishedSpans()[0]?.events.find((e) => e.attributes?.[C.ATTR_GUARD_CODE] === 'output_redacted');
    expect(event?.attributes?.[C.ATTR_REDACTION_PATHS]).toEqual(['*.note', '*.note']);
    expect(JSON.stringify(event)).not.toMatch(/jo@example|4111/);
  });

  it('a tracer and meter that throw everywhere change no result', async () => {
    const thrower = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('telemetry down');
        },
      },
    );
    const badSpan = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('span down');
        },
      },
    ) as Span;
    const tracers: Tracer[] = [thrower as Tracer, { startSpan: () => badSpan, startActiveSpan: () => undefined } as unknown as Tracer];
    for (const tracer of tracers) {
      const b = createBulwark({
        guards: [flag, maskOutput({ form: 'rounded', decimals: 1 })],
        telemetry: { tracer, meter: thrower as never, captureContent: true },
      });
      const g = b.wrap(model);
      for (let i = 0; i < 200; i++) {
        await expect(g([SECRET_ROW], { principal: 'u' })).resolves.toEqual([{ label: 1, scores: [0.1, 0.9] }]);
      }
      const deny: Guard = { name: 'no', beforeInference: () => ({ action: 'deny', code: 'forbidden', message: 'no' }) };
      await expect(
        createBulwark({ guards: [deny], telemetry: { tracer, meter: thrower as never } }).wrap(model)([SECRET_ROW], { principal: 'u' }),
      ).rejects.toMatchObject({ code: 'forbidden' });
    }
  });

  it('an exporter that throws on every export changes no result', async () => {
    const exporter = {
      export: () => {
        throw new Error('collector down');
      },
      shutdown: async () => {},
    };
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const g = createBulwark({ guards: [flag], telemetry: { tracer: provider.getTracer('t') } }).wrap(model);
    for (let i = 0; i < 100; i++) await expect(g([SECRET_ROW], { principal: 'u' })).resolves.toHaveLength(1);
  });
});
