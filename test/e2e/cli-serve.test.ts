/**
 * `bulwark serve` as a user runs it: a child process, real HTTP on loopback, a real OTLP/HTTP
 * receiver for its spans and metrics, SIGTERM with a request in flight.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudData, modelInfo, modelPath } from '@bulwark/models';
import { describe, expect, it } from 'vitest';
import { BIN, startCli } from '../helpers/cli.js';
import { postJson, send } from '../helpers/http.js';

const ROW = fraudData().test.x[0] as number[];

/** A loopback OTLP/HTTP receiver that keeps every JSON payload posted to it. */
async function otlpReceiver() {
  const payloads: Record<string, any[]> = { '/v1/traces': [], '/v1/metrics': [] };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      payloads[req.url ?? '']?.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, payloads, close: () => new Promise((r) => server.close(r)) };
}

const attr = (span: any, key: string) => {
  const v = span.attributes.find((a: any) => a.key === key)?.value;
  return v?.stringValue ?? v?.intValue ?? v?.doubleValue ?? v?.boolValue;
};

async function until<T>(fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('bulwark serve (CLI process)', () => {
  it('exports spans and metrics to an OTLP/HTTP receiver, without raw inputs or keys', async () => {
    const otlp = await otlpReceiver();
    // The key is listed (by sha256), so it is the caller's identity; it must still never be exported.
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-otlp-'));
    const policy = join(dir, 'policy.json');
    const sha = createHash('sha256').update('sk_live_key_in_header').digest('hex');
    writeFileSync(policy, JSON.stringify({ version: 1, auth: { apiKeys: [{ name: 'otlp-test', sha256: sha }] } }));
    const cli = await startCli(['--model', modelPath('fraud'), '--otlp', otlp.url, '--policy', policy, '--service-name', 'fraud-api']);
    const traceId = 'af7651916cd43dd8448eb211c80319c1';
    try {
      const ok = await postJson(
        `${cli.url}/v1/predict`,
        { inputs: [ROW, ROW] },
        { 'x-api-key': 'sk_live_key_in_header', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      );
      expect(ok.status).toBe(200);
      const refused = await postJson(`${cli.url}/v1/predict`, '{"inputs": [1,', { 'x-api-key': 'sk_live_key_in_header' });
      expect(refused.status).toBe(400);
      expect(refused.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect((await send(`${cli.url}/nowhere`)).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const spans = () =>
        otlp.payloads['/v1/traces']?.flatMap((p) =>
          p.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans.map((sp: any) => ({ ...sp, resource: rs.resource })))),
        );
      const inference = await until(() => spans()?.find((s: any) => s.name === 'bulwark.inference' && attr(s, 'bulwark.outcome') === 'allowed'));
      expect(attr(inference, 'bulwark.model.name')).toBe('fraud');
      expect(attr(inference, 'bulwark.model.digest')).toBe(modelInfo('fraud').sha256);
      expect(Number(attr(inference, 'bulwark.query.count'))).toBe(2);
      expect(attr(inference, 'bulwark.principal.kind')).toBe('api-key');
      // W3C trace context: the caller's trace, through the HTTP server span.
      const http = spans()?.find((s: any) => s.name === 'POST /v1/predict' && s.traceId === traceId);
      expect(http).toBeDefined();
      expect(http.kind).toBe(2); // SERVER
      expect(http.parentSpanId).toBe('b7ad6b7169203331');
      expect(attr(http, 'http.request.method')).toBe('POST');
      expect(attr(http, 'http.route')).toBe('/v1/predict');
      expect(Number(attr(http, 'http.response.status_code'))).toBe(200);
      expect(inference.traceId).toBe(traceId);
      expect(inference.parentSpanId).toBe(http.spanId);
      // A request refused before the pipeline still has its span, with the code.
      const refusal = await until(() => spans()?.find((s: any) => s.name === 'bulwark.inference' && attr(s, 'bulwark.error.code') === 'invalid_request'));
      expect(attr(refusal, 'bulwark.stage')).toBe('request');
      expect(attr(refusal, 'bulwark.request.id')).toBe(refused.headers['x-request-id']);
      // The resource names the service.
      const res = Object.fromEntries(inference.resource.attributes.map((a: any) => [a.key, a.value.stringValue]));
      expect(res['service.name']).toBe('fraud-api');
      expect(res['service.version']).toMatch(/^\d+\.\d+\.\d+/);
      expect(res['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res['telemetry.sdk.name']).toBe('opentelemetry');
      expect(JSON.stringify(otlp.payloads)).not.toContain('sk_live_key_in_header');
      expect(JSON.stringify(otlp.payloads)).not.toContain(String(ROW[0]));
      // Every attribute Bulwark emits is documented in docs/telemetry.md.
      const documented = readFileSync(new URL('../../docs/telemetry.md', import.meta.url), 'utf8');
      const emitted = new Set<string>();
      for (const sp of spans() ?? []) {
        for (const a of sp.attributes) emitted.add(a.key);
        for (const e of sp.events ?? []) for (const a of e.attributes) emitted.add(a.key);
      }
      const missing = [...emitted].filter((k) => !documented.includes(`\`${k}\``));
      expect(missing).toEqual([]);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    // Metrics are flushed at shutdown: units, and duration buckets that fit µs-to-s latencies.
    const metrics = otlp.payloads['/v1/metrics']?.flatMap((p) => p.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics)));
    expect(metrics?.map((m: any) => m.name)).toEqual(expect.arrayContaining(['bulwark.requests', 'bulwark.queries', 'bulwark.model.duration']));
    expect(metrics?.find((m: any) => m.name === 'bulwark.requests')?.unit).toBe('{request}');
    const duration = metrics?.find((m: any) => m.name === 'bulwark.model.duration');
    expect(duration.unit).toBe('s');
    const bounds = duration.histogram.dataPoints[0].explicitBounds;
    expect(bounds[0]).toBe(0.000005);
    expect(bounds.at(-1)).toBe(10);
    // The model takes about a millisecond: its samples land below 10 ms, not all in the first bucket.
    const counts = duration.histogram.dataPoints[0].bucketCounts.map(Number);
    expect(counts[0]).toBe(0);
    await otlp.close();
  });

  it('says once that the collector does not answer, and keeps serving', async () => {
    const dead = await otlpReceiver();
    await dead.close(); // a port nobody listens on any more
    const cli = await startCli(['--model', modelPath('fraud'), '--otlp', dead.url]);
    try {
      for (let i = 0; i < 3; i++) {
        expect((await postJson(`${cli.url}/v1/predict`, { inputs: ROW })).status).toBe(200);
        await new Promise((r) => setTimeout(r, 800)); // several export batches
      }
      await until(() => (cli.output().includes('span export') ? true : undefined));
      expect(cli.output().match(/span export to \S+ failed/g)).toHaveLength(1);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });

  it('prints spans with --trace-stdout (one JSON object a line) and decisions with --log-decisions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\nguards:\n  - use: mask-output\n    with: { form: rounded, decimals: 1 }\n');
    const cli = await startCli(['--model', modelPath('fraud'), '--policy', policy, '--trace-stdout', '--log-decisions']);
    try {
      const r = await postJson(`${cli.url}/v1/predict`, { inputs: ROW });
      expect(r.json.predictions[0].scores.every((s: number) => Math.round(s * 10) === s * 10)).toBe(true);
      const line = await until(() =>
        cli
          .output()
          .split('\n')
          .find((l) => l.startsWith('{') && l.includes('"bulwark.inference"')),
      );
      const span = JSON.parse(line);
      expect(span).toMatchObject({ name: 'bulwark.inference', attributes: { 'bulwark.output.form': 'rounded' } });
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.events.map((e: { name: string }) => e.name)).toContain('bulwark.guard.decision');
      expect(cli.output()).toMatch(/modify\s+output_rounded\s+guard=mask-output caller=\S{8} rows=1/);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const cli = await startCli(['--model', modelPath('fraud')]);
    const url = new URL(`${cli.url}/v1/predict`);
    const body = JSON.stringify({ inputs: ROW });
    const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      // Half the body now, SIGTERM, then the rest: the request is in flight when the signal lands.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        cli.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 300);
    });
    const r = await reply;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).predictions).toHaveLength(1);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('finishing in-flight requests');
  });

  it('refuses bad flags and bad policies with a message naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
    const policy = join(dir, 'bad.json');
    writeFileSync(policy, JSON.stringify({ version: 1, limits: { maxRows: -1 } }));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    const bad = run('serve', '--model', modelPath('fraud'), '--policy', policy);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('limits.maxRows: must be an integer >= 1 (received -1)');
    expect(run('serve').stderr).toContain('bulwark serve: --model is required');
    expect(run('serve', '--model', modelPath('fraud'), '--framework', 'koa').stderr).toContain('--framework must be hono or express');
    expect(run('serve', '--model', modelPath('fraud'), '--model-sha256', '0'.repeat(64)).stderr).toContain('digest mismatch');
    expect(run('hash-key', 'abc').stdout.trim()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('serves any float32 [batch, d] → [batch, k] classifier (digits, logits → probabilities)', async () => {
    const cli = await startCli(['--model', modelPath('digits'), '--framework', 'express']);
    try {
      const model = (await send(`${cli.url}/v1/model`)).json;
      expect(model).toMatchObject({ name: 'digits', features: 64, classes: 10, scores: 'logits' });
      expect(JSON.stringify(model)).not.toMatch(/W0|B0/);
      const r = await postJson(`${cli.url}/v1/predict`, { inputs: [new Array(64).fill(0)] });
      expect(r.json.predictions[0].scores.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });
});
