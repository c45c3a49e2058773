import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBulwark, maskOutput, type Prediction } from '@bulwark/core';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulwark, errorHandler } from './index.js';

const guarded = createBulwark({ guards: [maskOutput({ form: 'label' })] }).wrap((rows: number[][]): Prediction[] =>
  rows.map((r) => ({ label: (r[0] ?? 0) > 0.5 ? 1 : 0, scores: [0.3, 0.7] })),
);

let url: string;
let close: () => void;
beforeAll(async () => {
  const app = express();
  app.post(
    '/score',
    bulwark(guarded, { apiKeys: [{ name: 'shop', sha256: 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3' }] }),
    async (req, res) => {
      const body = (await req.bulwark?.readJson()) as { amount: number };
      const { output, disclosure } = await (req.bulwark?.predict([[body.amount]]) as Promise<{ output: Prediction[]; disclosure: { kind: string } }>);
      res.json({ fraud: output[0]?.label === 1, form: disclosure.kind, caller: req.bulwark?.principal.kind });
    },
  );
  app.use(errorHandler());
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/score`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('express middleware form', () => {
  it('puts the caller and the guarded predict on req.bulwark', async () => {
    const r = await post('{"amount": 0.9}', { 'x-api-key': '123' });
    expect(await r.json()).toEqual({ fraud: true, form: 'label', caller: 'api-key' });
  });
  it('answers an unknown key with 401 before the handler runs', async () => {
    const r = await post('{"amount": 0.9}', { 'x-api-key': 'nope' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    expect(await r.json()).toEqual({ error: { code: 'unauthorized', message: 'API key is not valid' } });
  });
  it('maps refusals thrown in the handler (here: a poisoned body) through errorHandler', async () => {
    const r = await post('{"__proto__": {"amount": 1}}');
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });
});
