/**
 * Regression tests of the red-team pass against `bulwark serve` (issue "Hardening"): each one
 * failed on the code before the fix. Real servers on loopback, a real Redis for the stall.
 */
import { connect } from 'node:net';
import { startServer } from '@bulwark/cli';
import { type BudgetStore, budget, createBulwark, MemoryStore } from '@bulwark/core';
import { fraudData, modelPath } from '@bulwark/models';
import { RedisStore } from '@bulwark/redis-store';
import { afterAll, describe, expect, it } from 'vitest';
import { postJson, send } from '../helpers/http.js';
import { client, ready } from '../helpers/redis.js';

const ROW = fraudData().test.x[0] as number[];
const servers: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));
async function serve(policy: object, extra: Record<string, unknown> = {}) {
  const s = await startServer({ model: modelPath('fraud'), policy, port: 0, principalSecret: 'hardening-secret-0123456789', ...extra });
  servers.push(s);
  return s;
}
const predict = (url: string, headers: Record<string, string> = {}, body: unknown = { inputs: ROW }) => postJson(`${url}/v1/predict`, body, headers);

describe('identity', () => {
  it('1. a caller cannot mint identities with made-up API keys when no keys are listed: it gets the quota, once', async () => {
    // 4 raw rows a day (4 units each).
    const s = await serve({ version: 1, guards: [{ use: 'budget', with: { tiers: { default: { quotas: [{ limit: 16, per: 'day' }] } } } }] });
    let answered = 0;
    for (let i = 0; i < 20; i++) if ((await predict(s.url, { 'x-api-key': `minted-${i}` })).status === 200) answered++;
    expect(answered).toBe(4);
  });

  it('7. X-Forwarded-For entries with ports or brackets key the client by its address; junk is refused, not pooled', async () => {
    const s = await serve({
      version: 1,
      principal: { trustedProxies: 1 },
      guards: [{ use: 'budget', with: { tiers: { default: { quotas: [{ limit: 8, per: 'day' }] } } } }],
    });
    // Two raw rows a day per client: the port does not make a new client.
    expect((await predict(s.url, { 'x-forwarded-for': '203.0.113.7:5555' })).status).toBe(200);
    expect((await predict(s.url, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    expect((await predict(s.url, { 'x-forwarded-for': '203.0.113.7:6666' })).status).toBe(429);
    expect((await predict(s.url, { 'x-forwarded-for': '[2001:db8::1]:443' })).status).toBe(200);
    expect((await predict(s.url, { 'x-forwarded-for': '2001:db8::2' })).status).toBe(200); // same /56
    expect((await predict(s.url, { 'x-forwarded-for': '[2001:db8::3]' })).status).toBe(429);
    // Junk cannot land everyone in one shared bucket: it is refused.
    const junk = await predict(s.url, { 'x-forwarded-for': 'unknown' });
    expect(junk.status).toBe(400);
    expect(junk.json.error.code).toBe('invalid_request');
    expect((await predict(s.url, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
  });

  it('7. with a list of trusted proxy ranges, X-Forwarded-For counts only from those proxies', async () => {
    const s = await serve({
      version: 1,
      principal: { trustedProxies: ['10.0.0.0/8'] },
      guards: [{ use: 'budget', with: { tiers: { default: { quotas: [{ limit: 4, per: 'day' }] } } } }],
    });
    // The socket peer (127.0.0.1) is not a trusted proxy: the header is ignored, the peer is the caller.
    expect((await predict(s.url, { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200);
    expect((await predict(s.url, { 'x-forwarded-for': '203.0.113.2' })).status).toBe(429);
  });

  it('6. refuses to start with a shared store and no principal secret (every restart would reset the budgets)', async () => {
    await expect(
      startServer({
        model: modelPath('fraud'),
        port: 0,
        policy: {
          version: 1,
          stores: { shared: { type: 'redis', url: 'redis://127.0.0.1:1' } },
          guards: [{ use: 'budget', with: { store: 'shared', tiers: { default: {} } } }],
        },
      }),
    ).rejects.toThrow(/BULWARK_PRINCIPAL_SECRET/);
  });
});

describe('stores under a flood', () => {
  it('2. a full memory store neither locks out new callers nor lets the flood past its limits', async () => {
    const s = await serve({
      version: 1,
      principal: { trustedProxies: 1 },
      stores: { small: { type: 'memory', maxKeys: 200, overflowKeys: 20 } },
      guards: [{ use: 'budget', with: { store: 'small', tiers: { default: { quotas: [{ limit: 12, per: 'day' }] } } } }],
    });
    expect((await predict(s.url, { 'x-forwarded-for': '192.0.2.10' })).status).toBe(200); // a known caller
    // 600 minted addresses in one /16 fill the store.
    let flood = 0;
    for (let i = 0; i < 600; i++) if ((await predict(s.url, { 'x-forwarded-for': `198.51.${i >> 8}.${i & 255}` })).status === 200) flood++;
    expect(flood).toBeLessThanOrEqual(200 + 3); // 200 held individually, then one shared bucket of 3 rows
    // Known and new callers from elsewhere are still served: no 503.
    expect((await predict(s.url, { 'x-forwarded-for': '192.0.2.10' })).status).toBe(200);
    expect((await predict(s.url, { 'x-forwarded-for': '203.0.113.99' })).status).toBe(200);
  });

  it('2. with onStoreError: allow, a full store is not unlimited access', async () => {
    const store = new MemoryStore({ maxKeys: 10, overflowKeys: 4 });
    const g = createBulwark({ guards: [budget({ store, tiers: { default: { quotas: [{ limit: 20, per: 'day' }] } }, onStoreError: 'allow' })] }).wrap(
      (rows: number[][]) => rows.map(() => ({ label: 0, scores: [1, 0] })),
    );
    for (let i = 0; i < 10; i++) await g([[1]], { principal: { kind: 'ip', id: `192.0.2.${i}` } });
    let answered = 0;
    for (let i = 0; i < 20; i++)
      if (
        await g([[1]], { principal: { kind: 'ip', id: `198.51.100.${i}` } }).then(
          () => true,
          () => false,
        )
      )
        answered++;
    expect(answered).toBe(5); // the quota of one bucket (20 units, 4 a row), not 20 of 20
  });

  it('3. a store call that times out on the client but runs on Redis costs the caller at most the lease, not a lockout', async () => {
    const c = client();
    await ready(c);
    let stall = true;
    // The first decision reaches Redis late: the guard gives up on it, Redis still runs it.
    const slow = {
      evalsha: async (...args: Parameters<typeof c.evalsha>) => {
        if (stall) {
          stall = false;
          await new Promise((r) => setTimeout(r, 300));
        }
        return c.evalsha(...args);
      },
      eval: (...args: Parameters<typeof c.eval>) => c.eval(...args),
    };
    const store: BudgetStore = new RedisStore({ client: slow as never, prefix: `stall:${Date.now()}:` });
    const g = createBulwark({
      guards: [budget({ store, tiers: { default: { concurrency: 1 } }, storeTimeoutMs: 50, leaseMs: 1000 })],
    }).wrap((rows: number[][]) => rows.map(() => ({ label: 0, scores: [1, 0] })));
    const P = { principal: { kind: 'api-key' as const, id: 'honest' } };
    await expect(g([[1]], P)).rejects.toMatchObject({ code: 'store_unavailable' });
    await new Promise((r) => setTimeout(r, 400)); // the stalled script has run by now
    await expect(g([[1]], P)).resolves.toHaveLength(1); // the slot came back (released, or its lease ran out)
    c.disconnect();
  });
});

describe('HTTP', () => {
  it.each(['hono', 'express'] as const)('9. a client that writes its whole oversized body before reading sees the 413 (%s)', async (framework) => {
    const s = await serve({ version: 1, limits: { maxBodyBytes: 64 * 1024 } }, { framework });
    const u = new URL(s.url);
    for (const [size, chunked] of [
      [256 * 1024, false],
      [4 * 1024 * 1024, false],
      [4 * 1024 * 1024, true],
    ] as const) {
      const first = await new Promise<string>((resolve) => {
        const sock = connect(Number(u.port), u.hostname);
        let got = '';
        sock.on('data', (d) => {
          got += d.toString();
        });
        sock.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
        sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
        const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${size}`;
        sock.write(`POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${framing}\r\nconnection: close\r\n\r\n`);
        if (chunked) sock.write(`${size.toString(16)}\r\n`);
        sock.write(Buffer.alloc(size, 0x31), () => (chunked ? sock.end('\r\n0\r\n\r\n') : sock.end()));
      });
      expect(first, `${size} bytes${chunked ? ', chunked' : ''}`).toBe('HTTP/1.1 413 Payload Too Large');
    }
  });

  it('10. error bodies do not reflect input: long field names and paths are truncated', async () => {
    const s = await serve({ version: 1 });
    const name = 'x'.repeat(100_000);
    const r = await postJson(`${s.url}/v1/predict`, `{"inputs":[1],"${name}":1}`);
    expect(r.status).toBe(400);
    expect(r.text.length).toBeLessThan(500);
    const nf = await send(`${s.url}/${'a'.repeat(5000)}<script>`);
    expect(nf.status).toBe(404);
    expect(nf.text.length).toBeLessThan(500);
    expect(nf.text).not.toContain('<script>');
  });

  it('11. GET /v1/model follows the same auth as predict and does not reveal the policy', async () => {
    const sha = (await import('node:crypto')).createHash('sha256').update('sk_model_key').digest('hex');
    const s = await serve({
      version: 1,
      mode: 'monitor',
      auth: { requireApiKey: true, apiKeys: [{ name: 'k', sha256: sha }] },
      guards: [{ use: 'mask-output', with: { form: 'label' } }],
    });
    expect((await send(`${s.url}/v1/model`)).status).toBe(401);
    const ok = await send(`${s.url}/v1/model`, { headers: { 'x-api-key': 'sk_model_key' } });
    expect(ok.status).toBe(200);
    expect(ok.json.features).toBe(8);
    expect(ok.json.guards).toBeUndefined();
    expect(ok.json.mode).toBeUndefined();
  });

  it('12. requests refused by validation count against a per-caller limit of refusals', async () => {
    const s = await serve({ version: 1, limits: { refusedRequests: { limit: 20, per: 'minute' } } });
    const bad = '{"inputs": [1, 2'; // malformed
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await postJson(`${s.url}/v1/predict`, bad, { 'x-api-key': 'whoever' })).status);
    expect(statuses.slice(0, 20).every((x) => x === 400)).toBe(true);
    expect(statuses.slice(20).every((x) => x === 429)).toBe(true);
    expect((await predict(s.url)).status).toBe(429); // the same address: its refusals are spent
  });

  it('13. the header timeout holds within about a second of its setting, not ~30 s later', async () => {
    const s = await serve({ version: 1 }, { timeouts: { headersTimeout: 1000 } });
    const u = new URL(s.url);
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const sock = connect(Number(u.port), u.hostname, () => sock.write('POST /v1/predict HTTP/1.1\r\nhost: x\r\n')); // headers never end
      sock.on('data', () => {});
      sock.on('error', () => {});
      sock.on('close', () => resolve(Date.now() - t0));
    });
    expect(closedAfter).toBeLessThan(5000);
  });
});
