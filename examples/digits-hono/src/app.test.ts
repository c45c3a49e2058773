import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { digitsData } from '@bulwark/models';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDigitsApp } from './app.js';

let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const { app, close: closeModel } = await createDigitsApp();
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    await new Promise((r) => server.close(r));
    await closeModel();
  };
});
afterAll(() => close());

it('recognises held-out digits and returns only the top score', async () => {
  const { test } = digitsData();
  const r = await fetch(`${url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: test.x.slice(0, 50) }),
  });
  const { predictions } = (await r.json()) as { predictions: { label: number; scores: number[] }[] };
  const correct = predictions.filter((p, i) => p.label === test.y[i]).length;
  expect(correct).toBeGreaterThanOrEqual(45);
  for (const p of predictions) expect(p.scores.filter((s) => s > 0)).toHaveLength(1);
});
