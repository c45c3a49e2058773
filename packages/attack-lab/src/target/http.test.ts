/**
 * The HTTP target against an API that is not the bulwark serve contract, through a mapping: a
 * small real server on loopback answering `{"fraud": bool, "risk": number}` for one transaction.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier, type OnnxClassifier } from '@bulwark/onnx';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { extractionAttack } from '../attacks/extraction.js';
import { httpTransport } from './http.js';
import { createTarget } from './target.js';

let server: Server;
let url: string;
let model: OnnxClassifier;
const seenKeys = new Set<string>();
beforeAll(async () => {
  model = await loadOnnxClassifier(modelPath('fraud'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', async () => {
      seenKeys.add(String(req.headers.authorization));
      const { transaction } = JSON.parse(body) as { transaction: number[] };
      const [p] = await model.predict([transaction]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ fraud: p?.label === 1, risk: p?.scores?.[1] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await model.close();
});

it('attacks a custom JSON API through a request/response mapping', async () => {
  const transport = httpTransport(url, {
    path: '/score',
    body: (rows) => ({ transaction: rows[0] }),
    answers: (json) => {
      const b = json as { fraud: boolean; risk: number };
      return [{ label: b.fraud ? 1 : 0, scores: [1 - b.risk, b.risk] }];
    },
    keyHeader: 'authorization',
  });
  const d = fraudData();
  const evalX = d.test.x.slice(0, 300);
  const targetLabels = (await model.predict(evalX)).map((p) => p.label);
  const r = await extractionAttack(createTarget('custom', transport, { keys: ['Bearer one'] }), {
    pool: d.train.x.slice(0, 1000),
    evaluation: { x: evalX, targetLabels },
    classes: 2,
    strategy: 'perturb',
    checkpoints: [150],
    seed: 3,
    batchSize: 1,
  });
  expect(r.stats.rowsAnswered).toBe(150);
  expect(r.labelOnly).toBe(false);
  expect(r.fidelity?.value).toBeGreaterThan(0.9);
  expect(r.fidelity?.n).toBe(300);
  expect([...seenKeys]).toEqual(['Bearer one']);
});
