/**
 * A short fuzz run against `bulwark serve` on both frameworks: hostile bodies never get a 5xx,
 * never a stack trace, always a JSON error with a code, and the server keeps serving. The long
 * campaign is `pnpm fuzz` (figures in docs/fuzzing.md).
 */
import { Rng } from '@bulwark/attack-lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzCase } from '../helpers/fuzz.js';
import { send } from '../helpers/http.js';
import { serveServer, type TestServer } from '../helpers/servers.js';

describe.each(['hono', 'express'] as const)('fuzzing bulwark serve (%s)', (framework) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serveServer(framework, { version: 1, guards: [{ use: 'mask-output', with: { form: 'top-k', k: 1 } }] });
  });
  afterAll(() => server.close());

  it('answers 1,000 hostile bodies with 2xx or a coded 4xx, and stays up', async () => {
    const r = new Rng(20261125);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const c = fuzzCase(r);
      const headers: Record<string, string> = c.contentType ? { 'content-type': c.contentType } : {};
      const reply = await send(`${server.url}/v1/predict`, { method: 'POST', headers, body: Buffer.from(c.body, 'latin1') });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      expect(reply.status, `case ${i}: ${c.body.slice(0, 80)}`).toBeLessThan(500);
      if (reply.status >= 400) {
        expect(reply.json?.error?.code, `case ${i}`).toMatch(/^[a-z_]+$/);
        expect(reply.text).not.toMatch(/at .*\.(ts|js):\d+/);
      }
    }
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect((await send(`${server.url}/healthz`)).json).toEqual({ status: 'ok' });
  });
});
