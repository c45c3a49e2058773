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

/** Every personal datum of the case records, as written in them (and the secrets in their notes). */
const PLANTED = [
  'maria.lopez@example.com',
  '7946 0958',
  '078-05-1120',
  '1984-03-12',
  '4111 1111 1111 1111',
  '555-2671',
  'GB82 WEST',
  'sk_live_51HxRkT2eZvKYlo2C0123abcd',
  'ｄ.ｉｖａｎｏｖ＠example.org',
  '5555-5555-5555-4444',
  '５５５５ ５５５５',
  '203.0.113.77',
  '219-09-9999',
];

it('answers /v1/cases with the similar cases, personal data redacted by the cases policy', async () => {
  const fraud = await post('/v1/cases', { inputs: [[950, 3, 0.8, 400, 4, 0, 1, 20]] }, DEMO_KEYS.analyst);
  expect(fraud.status).toBe(200);
  const text = await fraud.text();
  for (const value of PLANTED) expect(text).not.toContain(value);
  const [p] = (JSON.parse(text) as { predictions: { label: number; similarCases: Record<string, unknown>[] }[] }).predictions;
  expect(p?.label).toBe(1);
  expect(p?.similarCases.map((c) => c.id)).toEqual(['C-2024-0193', 'C-2024-0417']);
  expect(p?.similarCases[0]).toMatchObject({
    customer: { name: 'Maria Lopez', email: '[email]', phone: '[phone]' },
    card: '**** **** **** 1111',
    notes: 'Called from [phone]; asked for the refund to [iban]. Agent token [api-key] noted by mistake.',
  });
  expect(p?.similarCases[0]?.customer).not.toHaveProperty('ssn');
  expect(p?.similarCases[1]?.notes).toBe('Same device as C-2024-0193 (IP [ipv4]); card read out as **** **** **** 4444.');
});
