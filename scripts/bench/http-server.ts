/**
 * A benchmark server in its own process, on the same framework and model:
 *   guarded    `bulwark serve` with an empty policy (no OpenTelemetry SDK: the API's no-op);
 *   guarded-otel  the same with the SDK installed, exporting spans and metrics over OTLP/HTTP to a
 *              sink in this process that discards them (the SDK's and the exporter's cost, not a collector's);
 *   unguarded  what an app would write without Bulwark: the framework's own JSON body parsing and
 *              JSON response (express.json + res.json; c.req.json + c.json);
 *   lean       no Bulwark, but the same raw Node body reading and response writing as the adapters,
 *              and no checks at all: what is left between it and `guarded` is Bulwark's own work.
 *   privacy    policies/privacy.yaml: dp-noise (ε = 1, consistent noise, label kept) with its ledger
 *              on the memory store (budgets far above the load).
 *   redaction  policies/redaction.yaml: minimise-output (label, scores) and redact (every detector).
 *   cases      the fraud example's case-history plugin (customer records on every answer), no redaction;
 *   cases-redacted  examples/fraud-express/cases-policy.yaml: the same records, redacted.
 *   detectors  the recommended policy's guards (risk-response, budget far above the load,
 *              validate-input, ood, near-duplicates, mask-output) with every detector set to flag:
 *              the load repeats one row, which near-duplicates would otherwise refuse; a flag costs
 *              what a refusal costs (the same scoring and store calls).
 * Prints its URL on stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setupOtel, startServer } from '@bulwark/cli';
import { modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';

const [framework = 'hono', variant = 'guarded'] = process.argv.slice(2);

const profile = fileURLToPath(new URL('../../policies/profiles/fraud.json', import.meta.url));

const REDACTION_VARIANTS: Record<string, string> = {
  redaction: fileURLToPath(new URL('../../policies/redaction.yaml', import.meta.url)),
  cases: fileURLToPath(new URL('./cases-unredacted.yaml', import.meta.url)),
  'cases-redacted': fileURLToPath(new URL('../../examples/fraud-express/cases-policy.yaml', import.meta.url)),
};

if (REDACTION_VARIANTS[variant] !== undefined) {
  const s = await startServer({
    model: modelPath('fraud'),
    policy: REDACTION_VARIANTS[variant],
    port: 0,
    framework: framework as 'hono' | 'express',
    principalSecret: 'bench-secret-0123456789',
  });
  process.stdout.write(`${s.url}\n`);
} else if (variant === 'guarded' || variant === 'guarded-otel' || variant.startsWith('budget-') || variant === 'detectors' || variant === 'privacy') {
  // budget-memory / budget-redis: limits far above the load, so every request is charged and admitted.
  const tiers = { default: { rate: { limit: 1_000_000_000, per: 'second' }, quotas: [{ limit: 1e15, per: 'day' }], concurrency: 1000 } };
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const policy =
    variant === 'guarded' || variant === 'guarded-otel'
      ? { version: 1 }
      : variant === 'privacy'
        ? {
            version: 1,
            guards: [
              {
                use: 'dp-noise',
                with: {
                  epsilon: 1,
                  keepLabel: true,
                  ledger: { perCaller: { periods: [{ budget: 1e9, per: 'day' }] }, global: { periods: [{ budget: 1e9, per: 'day' }] } },
                  onExhausted: 'label',
                },
              },
            ],
          }
        : variant === 'detectors'
          ? {
              version: 1,
              guards: [
                { use: 'risk-response', with: { levels: [{ at: 1e6, respond: 'deny' }] } },
                { use: 'budget', with: { tiers } },
                { use: 'validate-input', with: { profile } },
                { use: 'ood', with: { profile, action: 'flag' } },
                { use: 'near-duplicates', with: { profile, cells: 'equal-frequency', levels: 100, window: 8, keep: 1, action: 'flag' } },
                { use: 'mask-output', with: { form: 'rounded', decimals: 2 } },
              ],
            }
          : {
              version: 1,
              stores: variant === 'budget-redis' ? { shared: { type: 'redis', url: redisUrl, prefix: `bench:${process.pid}:` } } : undefined,
              guards: [{ use: 'budget', with: { store: variant === 'budget-redis' ? 'shared' : 'memory', tiers } }],
            };
  let httpSpans = false;
  if (variant === 'guarded-otel') {
    const sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    setupOtel({ otlp: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, serviceName: 'bench' });
    httpSpans = true;
  }
  const s = await startServer({
    model: modelPath('fraud'),
    policy: policy as never,
    port: 0,
    framework: framework as 'hono' | 'express',
    principalSecret: 'bench-secret-0123456789',
    httpSpans,
  });
  process.stdout.write(`${s.url}\n`);
} else {
  const model = await loadOnnxClassifier(modelPath('fraud'));
  let listener: Parameters<typeof createServer>[1];
  const readRaw = async (stream: AsyncIterable<Buffer>) => {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputs: number[][] };
  };
  if (variant === 'lean' && framework === 'express') {
    const app = express();
    app.post('/v1/predict', async (req, res) => {
      const body = await readRaw(req);
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ predictions: await model.predict(body.inputs) }));
    });
    listener = app;
  } else if (variant === 'lean') {
    const app = new Hono();
    app.post('/v1/predict', async (c) => {
      const body = await readRaw((c.env as { incoming: AsyncIterable<Buffer> }).incoming);
      return c.body(JSON.stringify({ predictions: await model.predict(body.inputs) }), 200, { 'content-type': 'application/json; charset=utf-8' });
    });
    listener = getRequestListener(app.fetch);
  } else if (framework === 'express') {
    const app = express();
    app.post('/v1/predict', express.json(), async (req, res) => {
      res.json({ predictions: await model.predict(req.body.inputs) });
    });
    listener = app;
  } else {
    const app = new Hono();
    app.post('/v1/predict', async (c) => c.json({ predictions: await model.predict(((await c.req.json()) as { inputs: number[][] }).inputs) }));
    listener = getRequestListener(app.fetch);
  }
  const server = createServer(listener);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
}
