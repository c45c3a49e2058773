import { createBulwark, type Prediction } from '@bulwark/core';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type BulwarkVariables, bulwark, errorHandler, predictHandler } from './index.js';

const guarded = createBulwark().wrap((rows: number[][]): Prediction[] => rows.map(() => ({ label: 1, scores: [0.4, 0.6] })));

// Hono apps are fetch handlers: these run through app.request; the node server path is covered
// by the cross-adapter conformance suite in test/.
const app = new Hono<{ Variables: BulwarkVariables }>();
app.post('/v1/predict', predictHandler(guarded, { remoteAddress: () => '2001:db8::1' }));
app.post(
  '/score',
  bulwark(guarded, { requireApiKey: true, apiKeys: [{ name: 'shop', sha256: 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3' }] }),
  async (c) => {
    const { output } = (await c.get('bulwark').predict([[1]])) as { output: Prediction[] };
    return c.json({ digit: output[0]?.label, caller: c.get('bulwark').principal.kind });
  },
);
app.onError(errorHandler);

describe('hono adapter', () => {
  it('serves the predict contract', async () => {
    const r = await app.request('/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":[1,2]}' });
    expect(await r.json()).toEqual({ predictions: [{ label: 1, scores: [0.4, 0.6] }] });
  });
  it('middleware form: principal and guarded predict on the context', async () => {
    const r = await app.request('/score', { method: 'POST', headers: { authorization: 'Bearer 123' } });
    expect(await r.json()).toEqual({ digit: 1, caller: 'api-key' });
  });
  it('middleware form: 401 without a key', async () => {
    const r = await app.request('/score', { method: 'POST' });
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});
