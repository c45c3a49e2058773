/**
 * `bulwark serve` as a user runs it: a child process, real HTTP on loopback, a real OTLP/HTTP
 * receiver for its spans and metrics, SIGTERM with a request in flight.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
    const cli = await startCli(['--model', modelPath('fraud'), '--otlp', otlp.url, '--policy', policy]);
    try {
      expect((await postJson(`${cli.url}/v1/predict`, { inputs: [ROW, ROW] }, { 'x-api-key': 'sk_live_key_in_header' })).status).toBe(200);
      const span = await until(() =>
        otlp.payloads['/v1/traces']
          ?.flatMap((p) => p.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)))
          .find((s: any) => s.name === 'bulwark.inference'),
      );
      expect(attr(span, 'bulwark.model.name')).toBe('fraud');
      expect(attr(span, 'bulwark.model.digest')).toBe(modelInfo('fraud').sha256);
      expect(attr(span, 'bulwark.outcome')).toBe('allowed');
      expect(Number(attr(span, 'bulwark.query.count'))).toBe(2);
      expect(attr(span, 'bulwark.principal.kind')).toBe('api-key');
      expect(JSON.stringify(otlp.payloads)).not.toContain('sk_live_key_in_header');
      expect(JSON.stringify(otlp.payloads)).not.toContain(String(ROW[0]));
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    // Metrics are flushed at shutdown.
    const names = otlp.payloads['/v1/metrics']?.flatMap((p) =>
      p.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics.map((m: any) => m.name))),
    );
    expect(names).toEqual(expect.arrayContaining(['bulwark.requests', 'bulwark.queries', 'bulwark.model.duration']));
    await otlp.close();
  });

  it('prints spans with --trace-stdout and decisions with --log-decisions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\nguards:\n  - use: mask-output\n    with: { form: rounded, decimals: 1 }\n');
    const cli = await startCli(['--model', modelPath('fraud'), '--policy', policy, '--trace-stdout', '--log-decisions']);
    try {
      const r = await postJson(`${cli.url}/v1/predict`, { inputs: ROW });
      expect(r.json.predictions[0].scores.every((s: number) => Math.round(s * 10) === s * 10)).toBe(true);
      await until(() => (cli.output().includes("name: 'bulwark.inference'") ? true : undefined));
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
    expect(run('serve').stderr).toContain('serve needs --model');
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
