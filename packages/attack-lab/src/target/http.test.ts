/**
 * The HTTP target against an API that is not the bulwark serve contract, through a mapping: a
 * small real server on loopback answering `{"fraud": bool, "risk": number}` for one transaction.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
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

it('sends a request again once when the server closed its kept-alive socket as the request went out (the keep-alive race), and reports a real failure', async () => {
  // A raw server: the first request on a connection is answered with keep-alive; a second request
  // on the same connection is met by closing it unread, as a server whose idle timeout fired.
  const connections: number[] = [];
  const raw = createNetServer((socket) => {
    const id = connections.length;
    connections.push(0);
    socket.on('data', () => {
      connections[id] = (connections[id] as number) + 1;
      if ((connections[id] as number) > 1) {
        socket.destroy();
        return;
      }
      const body = JSON.stringify({ predictions: [{ label: 1 }] });
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  try {
    const transport = httpTransport(base);
    expect(await transport([[1, 2]], 'k', undefined)).toEqual({ ok: true, answers: [{ label: 1 }] });
    // Goes out on the kept-alive socket, which the server closes: sent again on a fresh one.
    expect(await transport([[1, 2]], 'k', undefined)).toEqual({ ok: true, answers: [{ label: 1 }] });
    expect(connections.length).toBe(2);
  } finally {
    raw.close();
  }
  // Nothing listening: a transport error, not a retry loop.
  await expect(httpTransport(base)([[1, 2]], 'k', undefined)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});
