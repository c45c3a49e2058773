/**
 * Builds guarded prediction servers on loopback for the cross-adapter suites: the Express and Hono
 * adapters mounted in a bare app, and `bulwark serve` itself (both frameworks).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from '@bulwark/cli';
import { type AnyGuard, createBulwark, type EndpointOptions } from '@bulwark/core';
import * as bx from '@bulwark/express';
import * as bh from '@bulwark/hono';
import { modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';

export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface ServerSpec {
  readonly guards?: AnyGuard[];
  readonly endpoint?: EndpointOptions;
}

export type ServerKind = 'express-adapter' | 'hono-adapter' | 'serve-express' | 'serve-hono';
export const SERVER_KINDS: ServerKind[] = ['express-adapter', 'hono-adapter', 'serve-express', 'serve-hono'];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server, extra?: () => Promise<void>): () => Promise<void> {
  return async () => {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
    await extra?.();
  };
}

/** An adapter mounted at POST /v1/predict in a minimal app, over the real fraud model. */
export async function adapterServer(framework: 'express' | 'hono', spec: ServerSpec = {}): Promise<TestServer> {
  const model = await loadOnnxClassifier(modelPath('fraud'));
  const guarded = createBulwark({ model: model.descriptor, guards: spec.guards ?? [] }).wrap((rows: number[][]) => model.predict(rows), {
    validateInput: (rows) => model.validate(rows),
  });
  let server: Server;
  if (framework === 'express') {
    const app = express();
    app.post('/v1/predict', bx.predictHandler(guarded, spec.endpoint));
    app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
    server = createServer(app);
  } else {
    const app = new Hono();
    app.post('/v1/predict', bh.predictHandler(guarded, spec.endpoint));
    app.get('/healthz', (c) => c.json({ status: 'ok' }));
    server = createServer(getRequestListener(app.fetch));
  }
  return { url: await listen(server), close: closer(server, () => model.close()) };
}

/** `bulwark serve` with a policy object, on a free port. */
export async function serveServer(framework: 'express' | 'hono', policy: object = { version: 1 }): Promise<TestServer> {
  const running = await startServer({ model: modelPath('fraud'), policy: policy as never, port: 0, framework });
  return { url: running.url, close: () => running.close() };
}
