import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFraudServer, DEMO_KEYS } from './app.js';

let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const s = await createFraudServer();
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  close = s.close;
});
afterAll(() => close());

const post = (path: string, body: unknown, key?: string) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) }, body: JSON.stringify(body) });

it('scores a risky transaction for review and a routine one for approval', async () => {
  const risky = await (await post('/v1/score', { transaction: [950, 3, 0.8, 400, 4, 0, 1, 20] }, DEMO_KEYS.checkout)).json();
  const routine = await (await post('/v1/score', { transaction: [25, 14, 0.1, 3, 0, 1, 0, 2000] }, DEMO_KEYS.checkout)).json();
  expect(risky).toEqual({ decision: 'review', risk: 'high' });
  expect(routine).toEqual({ decision: 'approve', risk: 'low' });
});

it('rounds scores on the standard route and refuses callers without a key', async () => {
  const r = (await (await post('/v1/predict', { inputs: [25, 14, 0.1, 3, 0, 1, 0, 2000] }, DEMO_KEYS.analyst)).json()) as {
    predictions: { scores: number[] }[];
  };
  for (const s of r.predictions[0]?.scores ?? []) expect(Math.round(s * 100)).toBeCloseTo(s * 100, 9);
  expect((await post('/v1/predict', { inputs: [1, 2, 3, 4, 5, 6, 7, 8] })).status).toBe(401);
});
