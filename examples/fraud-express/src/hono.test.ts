import { expect, it } from 'vitest';
import { createFraudHonoApp } from './hono.js';

it('redacts the case records on Hono as on Express (same policy file)', async () => {
  const { app, close } = await createFraudHonoApp();
  try {
    const res = await app.request('/v1/cases', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [[25, 14, 0.1, 3, 0, 1, 0, 2000]] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { label: number; similarCases: { customer: Record<string, string>; card: string; notes: string }[] }[] };
    const [c] = body.predictions[0]?.similarCases ?? [];
    expect(body.predictions[0]?.label).toBe(0);
    expect(c).toMatchObject({
      card: '**** ****** *0005',
      customer: { name: 'Aiko Tanaka', email: '[email]', phone: '[phone]' },
      notes: 'Customer confirmed the purchase by e-mail ([email]).',
    });
    expect(JSON.stringify(body)).not.toMatch(/aiko\.t@|1234-5678|123-45-6789|1991-07-30|3782 822463/);
  } finally {
    await close();
  }
});
