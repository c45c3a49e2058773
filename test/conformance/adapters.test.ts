/**
 * One suite, run against every way of serving the predict contract: the Express adapter, the Hono
 * adapter, and `bulwark serve` on each framework. Real model, real HTTP on loopback.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { budget, type Guard, MemoryStore, maskOutput } from '@bulwark/core';
import { fraudData } from '@bulwark/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, send } from '../helpers/http.js';
import { adapterServer, SERVER_KINDS, type ServerKind, serveServer, type TestServer } from '../helpers/servers.js';

const ROW = fraudData().test.x[0] as number[];
const KEY = 'sk_test_conformance_0123456789';
const KEY_SHA = createHash('sha256').update(KEY).digest('hex');
/** Listed keys for the budget suites: only listed keys are identities (an unlisted key is a claim). */
const BUDGET_KEYS = ['budget-conformance', 'someone-else', 'quota-arithmetic', 'burst-arithmetic'].map((k) => ({
  name: k,
  sha256: createHash('sha256').update(k).digest('hex'),
}));

const throttle: Guard = {
  name: 'throttle-marker',
  beforeInference: (ctx) =>
    (ctx.input as number[][])[0]?.[1] === 23
      ? { action: 'deny', code: 'rate_limited', message: 'too many queries', retryAfterSeconds: 7, headers: { 'ratelimit-policy': '"default";q=100;w=60' } }
      : undefined,
};
const crash: Guard = {
  name: 'crasher',
  beforeInference: (ctx) => {
    if ((ctx.input as number[][])[0]?.[1] === 22) throw new Error('internal secret path /etc/x');
  },
};

async function make(kind: ServerKind, variant: 'plain' | 'keys' | 'label'): Promise<TestServer> {
  const auth = variant === 'keys' ? { apiKeys: [{ name: 'conformance', sha256: KEY_SHA }], requireApiKey: true } : {};
  const limits = { maxBodyBytes: 64 * 1024, maxRows: 256 };
  if (kind === 'express-adapter' || kind === 'hono-adapter') {
    const guards = variant === 'label' ? [maskOutput({ form: 'label' })] : [throttle, crash];
    return adapterServer(kind === 'express-adapter' ? 'express' : 'hono', { guards, endpoint: { ...auth, limits } });
  }
  return serveServer(kind === 'serve-express' ? 'express' : 'hono', {
    version: 1,
    auth: variant === 'keys' ? { requireApiKey: true, apiKeys: [{ name: 'conformance', sha256: KEY_SHA }] } : undefined,
    limits,
    guards: variant === 'label' ? [{ use: 'mask-output', with: { form: 'label' } }] : [],
  });
}

describe.each(SERVER_KINDS)('%s', (kind) => {
  let plain: TestServer;
  let keys: TestServer;
  let label: TestServer;
  beforeAll(async () => {
    [plain, keys, label] = await Promise.all([make(kind, 'plain'), make(kind, 'keys'), make(kind, 'label')]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), keys?.close(), label?.close()]);
  });
  const predict = (body: unknown, headers?: Record<string, string>) => postJson(`${plain.url}/v1/predict`, body, headers);

  it('answers one row and a batch with labels and scores', async () => {
    const one = await predict({ inputs: ROW });
    expect(one.status).toBe(200);
    expect(one.json.predictions).toHaveLength(1);
    expect(one.json.predictions[0]).toEqual({ label: expect.any(Number), scores: [expect.any(Number), expect.any(Number)] });
    expect(one.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const batch = await predict({ inputs: [ROW, ROW, ROW] });
    expect(batch.json.predictions).toEqual([one.json.predictions[0], one.json.predictions[0], one.json.predictions[0]]);
  });

  it('omits scores in label-only mode', async () => {
    const r = await postJson(`${label.url}/v1/predict`, { inputs: [ROW, ROW] });
    expect(r.status).toBe(200);
    expect(r.json.predictions[0]).toEqual({ label: expect.any(Number) });
  });

  const bad: Array<[string, string | object, number, string, Record<string, string>?]> = [
    ['malformed JSON', '{"inputs": [1, 2', 400, 'invalid_request'],
    ['a __proto__ key', '{"inputs":[1],"__proto__":{"x":1}}', 400, 'invalid_request'],
    ['an unknown field', { inputs: ROW, model: 'other' }, 400, 'invalid_request'],
    ['deep nesting', `{"inputs":${'['.repeat(5000)}${']'.repeat(5000)}}`, 400, 'invalid_request'],
    ['NaN as text', '{"inputs":[NaN,1,2,3,4,5,6,7]}', 400, 'invalid_request'],
    ['a wrong row width', { inputs: [ROW.slice(1)] }, 422, 'invalid_input'],
    ['ragged rows', { inputs: [ROW, ROW.slice(1)] }, 422, 'invalid_input'],
    ['a string value', { inputs: [[...ROW.slice(0, 7), '1']] }, 422, 'invalid_input'],
    ['1e400 (Infinity)', `{"inputs":[${ROW.slice(0, 7).join(',')},1e400]}`, 422, 'invalid_input'],
    ['1e39 (overflows float32)', { inputs: [[...ROW.slice(0, 7), 1e39]] }, 422, 'invalid_input'],
    ['too many rows', { inputs: new Array(300).fill(ROW) }, 422, 'invalid_input'],
    ['a non-JSON content type', 'inputs=1', 415, 'unsupported_media_type', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a body over the limit', { inputs: new Array(20000).fill(1.2345678) }, 413, 'payload_too_large'],
  ];
  it.each(bad)('refuses %s with %i %s and never a stack trace', async (_name, body, status, code, headers) => {
    const r = await predict(body, headers);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.message).toEqual(expect.any(String));
    expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('refuses a chunked body over the limit while reading it', async () => {
    const url = new URL(`${plain.url}/v1/predict`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"inputs":[');
      for (let i = 0; i < 100; i++) req.write(`${'1.5,'.repeat(250)}`);
      req.end('1]}');
    });
    expect(status).toBe(413);
  });

  it('requires a known API key when configured, by x-api-key or Bearer', async () => {
    const url = `${keys.url}/v1/predict`;
    expect((await postJson(url, { inputs: ROW })).status).toBe(401);
    expect((await postJson(url, { inputs: ROW }, { 'x-api-key': 'wrong' })).json.error.code).toBe('unauthorized');
    expect((await postJson(url, { inputs: ROW }, { authorization: 'Basic abc' })).status).toBe(401);
    expect((await postJson(url, { inputs: ROW }, { 'x-api-key': KEY })).status).toBe(200);
    expect((await postJson(url, { inputs: ROW }, { authorization: `Bearer ${KEY}` })).status).toBe(200);
  });

  it('keeps serving after every kind of bad request', async () => {
    expect((await send(`${plain.url}/healthz`)).json).toEqual({ status: 'ok' });
    expect((await predict({ inputs: ROW })).status).toBe(200);
  });
});

// Custom guards are code, not policy: these run against the adapters, where code mounts them.
describe.each(['express-adapter', 'hono-adapter'] as const)('%s with custom guards', (kind) => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await make(kind, 'plain');
  });
  afterAll(() => plain?.close());

  it("maps a guard refusal to 429 with Retry-After and the guard's headers", async () => {
    const r = await postJson(`${plain.url}/v1/predict`, { inputs: [[ROW[0], 23, ...ROW.slice(2)]] });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers['ratelimit-policy']).toBe('"default";q=100;w=60');
    expect(r.json.error).toEqual({ code: 'rate_limited', message: 'too many queries' });
  });

  it('answers a failing guard with 500 guard_failure, a request id, and no detail', async () => {
    const r = await postJson(`${plain.url}/v1/predict`, { inputs: [[ROW[0], 22, ...ROW.slice(2)]] });
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe('guard_failure');
    expect(r.text).not.toContain('secret');
    expect(r.json.error.message).toContain(r.headers['x-request-id']);
  });
});

// Query budgets over HTTP: RateLimit headers on answers, 429 with Retry-After when spent.
describe.each(SERVER_KINDS)('%s with a budget', (kind) => {
  let server: TestServer;
  const tiers = { default: { rate: { limit: 100, per: 'minute' as const, burst: 100 }, quotas: [{ limit: 12, per: 'day' as const }] } };
  beforeAll(async () => {
    if (kind === 'express-adapter' || kind === 'hono-adapter') {
      server = await adapterServer(kind === 'express-adapter' ? 'express' : 'hono', {
        guards: [budget({ store: new MemoryStore(), tiers })],
        endpoint: { apiKeys: BUDGET_KEYS },
      });
    } else {
      server = await serveServer(kind === 'serve-express' ? 'express' : 'hono', {
        version: 1,
        auth: { apiKeys: BUDGET_KEYS },
        guards: [{ use: 'budget', with: { tiers } }],
      });
    }
  });
  afterAll(() => server?.close());

  it('sends RateLimit headers, then refuses a spent quota with 429, Retry-After and budget_exhausted', async () => {
    const url = `${server.url}/v1/predict`;
    const first = await postJson(url, { inputs: [ROW, ROW] }, { 'x-api-key': 'budget-conformance' });
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"rate";q=100;w=60, "day";q=12;w=86400');
    expect(first.headers.ratelimit).toMatch(/^"day";r=4;t=\d+$/);
    const spent = await postJson(url, { inputs: [ROW, ROW] }, { 'x-api-key': 'budget-conformance' });
    expect(spent.status).toBe(429);
    expect(spent.json.error.code).toBe('budget_exhausted');
    expect(Number(spent.headers['retry-after'])).toBeGreaterThan(0);
    expect(spent.headers['ratelimit-policy']).toContain('"day";q=12');
    // Another caller has its own budget.
    expect((await postJson(url, { inputs: ROW }, { 'x-api-key': 'someone-else' })).status).toBe(200);
  });
});

// The budget's arithmetic over HTTP: a quota admits exactly what it says at the weight the
// pipeline can release, and a call no wait could admit is refused as such, not told to retry.
describe.each(SERVER_KINDS)('%s with a budget and rounded answers', (kind) => {
  let server: TestServer;
  const tiers = { default: { rate: { limit: 1000, per: 'minute' as const, burst: 12 }, quotas: [{ limit: 30, per: 'day' as const }] } };
  beforeAll(async () => {
    if (kind === 'express-adapter' || kind === 'hono-adapter') {
      server = await adapterServer(kind === 'express-adapter' ? 'express' : 'hono', {
        guards: [budget({ store: new MemoryStore(), tiers }), maskOutput({ form: 'rounded' })],
        endpoint: { apiKeys: BUDGET_KEYS },
      });
    } else {
      server = await serveServer(kind === 'serve-express' ? 'express' : 'hono', {
        version: 1,
        auth: { apiKeys: BUDGET_KEYS },
        guards: [
          { use: 'budget', with: { tiers } },
          { use: 'mask-output', with: { form: 'rounded' } },
        ],
      });
    }
  });
  afterAll(() => server?.close());

  it('a daily quota of 30 units with rounded answers (3 a row) admits 10 single rows, then says none remain', async () => {
    const url = `${server.url}/v1/predict`;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof postJson>> | undefined;
    for (let i = 0; i < 11; i++) {
      last = await postJson(url, { inputs: ROW }, { 'x-api-key': 'quota-arithmetic' });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    expect(last?.json.error.code).toBe('budget_exhausted');
    expect(last?.headers.ratelimit).toMatch(/^"day";r=0;/);
  });

  it('refuses a batch larger than the rate burst with 422 exceeds_limit and no Retry-After', async () => {
    const r = await postJson(`${server.url}/v1/predict`, { inputs: Array(13).fill(ROW) }, { 'x-api-key': 'burst-arithmetic' });
    expect(r.status).toBe(422);
    expect(r.json.error).toEqual({
      code: 'exceeds_limit',
      message: 'this call costs 13 units; the caller rate burst admits at most 12 at once: send smaller batches',
    });
    expect(r.headers['retry-after']).toBeUndefined();
    // Nothing was charged: ten rows (30 units) still fit.
    expect((await postJson(`${server.url}/v1/predict`, { inputs: Array(10).fill(ROW) }, { 'x-api-key': 'burst-arithmetic' })).status).toBe(200);
  });
});
