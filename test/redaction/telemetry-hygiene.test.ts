/**
 * Nothing personal leaves through Bulwark's own writes. `bulwark serve` (in process, real HTTP on
 * loopback, a real OpenTelemetry SDK with in-memory exporters) takes thousands of random requests
 * that carry planted personal data and secrets: in API keys, in unknown fields and strings where
 * numbers belong, in bodies that are not JSON, and in the output itself (a plugin attaches a
 * customer record to each answer and a careless plugin guard quotes it in its decision message
 * and attributes). Then no planted value, no raw input element and no pre-noise score may appear
 * in any exported span, span event or metric, any log line or decision-log line, or any error
 * body; and successful answers carry the record redacted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startServer } from '@bulwark/cli';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs fixture without types
import { plantedFor } from '../fixtures/hygiene/plugin.mjs';

class Reader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const KEY = `sk_live_${randomBytes(12).toString('hex')}`;
const spans = new InMemorySpanExporter();
const reader = new Reader();
const logLines: string[] = [];
let url = '';
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const running = await startServer({
    model: modelPath('fraud'),
    baseDir: fileURLToPath(new URL('../fixtures/hygiene/', import.meta.url)),
    policy: {
      version: 1,
      plugins: ['./plugin.mjs'],
      // Most requests here are refused on purpose: the refused-requests limit would otherwise answer 429 to all.
      limits: { refusedRequests: { limit: 100_000, per: 'minute' } },
      auth: { requireApiKey: true, apiKeys: [{ name: 'analyst', sha256: createHash('sha256').update(KEY).digest('hex') }] },
      guards: [{ use: 'dp-noise', with: { epsilon: 1, noise: 'fresh' } }, { use: 'planted-records' }, { use: 'chatty' }, { use: 'redact' }],
    },
    httpSpans: true,
    principalSecret: 'hygiene-test-principal-secret',
    logger: { warn: (m, f) => logLines.push(`warn ${m} ${JSON.stringify(f ?? {})}`), info: (m, f) => logLines.push(`info ${m} ${JSON.stringify(f ?? {})}`) },
    onDecision: (d, info) =>
      logLines.push(`${d.action} ${d.code} ${d.guard} ${info.principalHash} ${JSON.stringify(d.message)} ${JSON.stringify(d.attributes ?? {})}`),
  });
  url = running.url;
  close = running.close;
}, 60_000);
afterAll(async () => {
  await close();
  trace.disable();
  metrics.disable();
});

/** mulberry32: test data only. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('leaks no planted personal data, secret, raw input element or pre-noise score into telemetry, logs or error bodies', async () => {
  const random = rng(20261127);
  const rows = fraudData().test.x;
  const planted = new Set<string>([KEY]);
  const inputs: number[][] = [];
  const errorBodies: string[] = [];
  const okBodies: string[] = [];
  /** The answer to each valid row, by its index in `inputs`. */
  const answerTo: (string | undefined)[] = [];
  const N = 2000;
  for (let i = 0; i < N; i++) {
    const kind = random();
    const pii = {
      email: `leak.${i}@example.org`,
      card: ['4111 1111 1111 1111', '5555-5555-5555-4444', '3782 822463 10005'][i % 3] as string,
      jwt: `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1${i}In0.${randomBytes(16).toString('base64url')}`,
      key: `ghp_${randomBytes(18).toString('hex')}`,
    };
    for (const v of Object.values(pii)) planted.add(v);
    let headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': KEY };
    let body: string;
    if (kind < 0.4) {
      // A valid row with a unique value planted in its first element.
      const row = [...(rows[i % rows.length] as number[])];
      row[0] = Math.round((100 + random() * 900) * 1e6) / 1e6;
      inputs.push(row);
      body = JSON.stringify({ inputs: [row] });
    } else if (kind < 0.55) {
      headers = { ...headers, 'x-api-key': `sk_live_${pii.key.slice(4)}` };
      planted.add(headers['x-api-key'] as string);
      body = JSON.stringify({ inputs: [rows[0]] });
    } else if (kind < 0.7) {
      body = JSON.stringify({ inputs: [rows[0]], [pii.email]: pii.jwt });
    } else if (kind < 0.85) {
      body = JSON.stringify({ inputs: [[pii.card, pii.email, 1, 2, 3, 4, 5, pii.key]] });
    } else if (kind < 0.95) {
      body = `not json: ${pii.email} ${pii.jwt} ${pii.card}`;
    } else {
      headers = { ...headers, 'content-type': 'text/plain' };
      body = `${pii.key} ${pii.email}`;
    }
    const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers, body });
    const text = await res.text();
    (res.status === 200 ? okBodies : errorBodies).push(text);
    if (kind < 0.4) answerTo[inputs.length - 1] = res.status === 200 ? text : undefined;
  }
  // Some of every kind of answer were exercised (an attack that got no answers measured nothing).
  expect(okBodies.length).toBeGreaterThan(N * 0.3);
  expect(errorBodies.length).toBeGreaterThan(N * 0.3);

  // What the model said before noise, and what the guards planted in answers.
  const model = await loadOnnxClassifier(modelPath('fraud'));
  const raw = await model.predict(inputs);
  await model.close();
  const rawScores = new Set(raw.flatMap((p) => p.scores ?? []).map(String));
  const rawInputs = new Set(inputs.map((r) => String(r[0])));
  const answers = new Set<string>();
  for (const row of inputs) for (const v of Object.values(plantedFor(row) as Record<string, string>)) answers.add(v);

  const { resourceMetrics } = await reader.collect();
  const exported = [
    ...spans.getFinishedSpans().map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    JSON.stringify(resourceMetrics.scopeMetrics),
    ...logLines,
    ...errorBodies,
  ];
  expect(spans.getFinishedSpans().length).toBeGreaterThanOrEqual(N);
  expect(logLines.some((l) => l.includes('looked_at_record'))).toBe(true);
  const haystack = exported.join('\n');
  const found = (values: Iterable<string>) => [...values].filter((v) => haystack.includes(v));
  expect(found(planted)).toEqual([]);
  expect(found(answers)).toEqual([]);
  expect(found(rawInputs)).toEqual([]);
  expect(found(rawScores)).toEqual([]);
  // The careless guard's quote was kept, scrubbed: the decision is there with its masks.
  expect(haystack).toMatch(/checked \[email\] paying with \[card\] \(token \[api-key\]\)/);
  // Answers carry the record, redacted, and never the pre-noise scores.
  const okText = okBodies.join('\n');
  expect(okText).toContain('"record":{"email":"[email]","phone":"[phone]","card":"[card]","token":"[secret-key]"}'); // a credential-named key: masked whole
  expect([...answers].filter((v) => okText.includes(v))).toEqual([]);
  // Each answer against its own row's scores before noise: across rows, a noised score on the
  // 2^-20 grid can equal another row's float32 score by chance (about one run in seven at this n).
  const leakedOwn = raw.filter((p, i) => (p.scores ?? []).some((v) => answerTo[i]?.includes(String(v)) === true));
  expect(answerTo.filter((a) => a !== undefined).length).toBe(inputs.length);
  expect(leakedOwn).toEqual([]);
}, 300_000);
