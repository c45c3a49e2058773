/**
 * Redis stopped mid-load, then restarted, under `bulwark serve` with Redis-backed budgets:
 * failing closed admits nothing while it is down; with the fallback, admissions stay within the
 * documented bound; the server keeps answering throughout and recovers on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { startServer } from '@bulwark/cli';
import { fraudData, modelPath } from '@bulwark/models';
import { afterAll, expect, it } from 'vitest';
import { postJson, send } from '../helpers/http.js';
import { freePort } from '../setup/global.js';

const ROW = fraudData().test.x[0] as number[];
let redis: ChildProcess | undefined;

async function startRedis(port: number): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  // Ready when it accepts a connection (polled, not slept).
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.end();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

/** Waits until a server's Redis client is connected, probing as a caller of its own. */
async function untilServing(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await postJson(`${url}/v1/predict`, { inputs: ROW }, { 'x-api-key': 'probe' })).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not reach Redis');
}
async function stopRedis(): Promise<void> {
  const r = redis;
  redis = undefined;
  if (!r) return;
  await new Promise<void>((resolve) => {
    r.once('exit', () => resolve());
    r.kill('SIGKILL');
  });
}
afterAll(() => stopRedis());

const policy = (port: number, onStoreError: 'deny' | 'fallback') => ({
  version: 1,
  stores: { shared: { type: 'redis', url: `redis://127.0.0.1:${port}` } },
  guards: [
    {
      use: 'budget',
      with: {
        store: 'shared',
        tiers: { default: { quotas: [{ limit: 100, per: 'day' }] } },
        weights: { raw: 1 },
        onStoreError,
        replicas: 4,
        storeTimeoutMs: 200,
      },
    },
  ],
});

async function burst(url: string, n: number): Promise<Record<number, number>> {
  const out: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await postJson(`${url}/v1/predict`, { inputs: ROW }, { 'x-api-key': 'outage-caller' });
    out[r.status] = (out[r.status] ?? 0) + 1;
    if (r.status >= 500) expect(r.json.error.code).toBe('store_unavailable');
  }
  return out;
}

it('fails closed while Redis is down, falls back within bounds when configured, and recovers on its own', async () => {
  const port = await freePort();
  await startRedis(port);
  const closed = await startServer({ model: modelPath('fraud'), policy: policy(port, 'deny') as never, port: 0, principalSecret: 'outage-secret-0123456789' });
  const fallback = await startServer({
    model: modelPath('fraud'),
    policy: { ...policy(port, 'fallback'), stores: { shared: { type: 'redis', url: `redis://127.0.0.1:${port}`, prefix: 'fb:' } } } as never,
    port: 0,
    principalSecret: 'outage-secret-0123456789',
  });
  try {
    // Redis up: both admit.
    await untilServing(closed.url);
    await untilServing(fallback.url);
    expect(await burst(closed.url, 20)).toEqual({ 200: 20 });
    expect(await burst(fallback.url, 20)).toEqual({ 200: 20 });

    await stopRedis();
    // Down: fail-closed admits nothing; fallback admits at most limit ÷ replicas = 25 locally.
    expect(await burst(closed.url, 30)).toEqual({ 503: 30 });
    const during = await burst(fallback.url, 40);
    expect(during[200]).toBe(25);
    expect(during[429]).toBe(15);
    expect((await send(`${closed.url}/healthz`)).status).toBe(200);

    // Back (empty: no persistence): both recover without a restart of the server.
    await startRedis(port);
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      recovered = (await postJson(`${closed.url}/v1/predict`, { inputs: ROW }, { 'x-api-key': 'outage-caller' })).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    const after = await burst(fallback.url, 120);
    // Documented bound for a window spanning an outage with counters lost on restart:
    // before (20) + fallback (⌊L/R⌋ = 25) + a fresh Redis window (L = 100).
    expect(20 + (during[200] ?? 0) + (after[200] ?? 0)).toBeLessThanOrEqual(20 + 25 + 100);
    expect(after[200]).toBe(100);
  } finally {
    await closed.close();
    await fallback.close();
  }
});
