/**
 * `pnpm fuzz [cases]`: the long fuzz campaign against `bulwark serve` (Hono and Express), with
 * the short version in test/e2e/fuzz.test.ts. Prints the status distribution and any 5xx.
 */
import { Rng } from '@bulwark/attack-lab';
import { fuzzCase } from '../test/helpers/fuzz.js';
import { send } from '../test/helpers/http.js';
import { serveServer } from '../test/helpers/servers.js';

const n = Number(process.argv[2] ?? 100_000);
for (const framework of ['hono', 'express'] as const) {
  const server = await serveServer(framework, { version: 1, guards: [{ use: 'mask-output', with: { form: 'top-k', k: 1 } }] });
  const r = new Rng(1);
  const statuses = new Map<number, number>();
  let failures = 0;
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const c = fuzzCase(r);
    const reply = await send(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: c.contentType ? { 'content-type': c.contentType } : {},
      body: Buffer.from(c.body, 'latin1'),
    });
    statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    if (reply.status >= 500 || (reply.status >= 400 && !reply.json?.error?.code)) {
      failures++;
      process.stdout.write(`case ${i}: ${reply.status} ${reply.text.slice(0, 200)}\n`);
    }
  }
  const healthy = (await send(`${server.url}/healthz`)).json?.status === 'ok';
  const dist = [...statuses.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, c]) => `${s}×${c}`)
    .join(', ');
  process.stdout.write(
    `${framework}: ${n} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s; statuses ${dist}; failures ${failures}; healthy after: ${healthy}\n`,
  );
  await server.close();
}
