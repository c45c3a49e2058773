/**
 * A benchmark server in its own process: `guarded` is `bulwark serve` with an empty policy;
 * `unguarded` is the same framework, same model, with its own JSON body parsing and no Bulwark.
 * Prints its URL on stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from '@bulwark/cli';
import { modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';

const [framework = 'hono', variant = 'guarded'] = process.argv.slice(2);

if (variant === 'guarded') {
  const s = await startServer({ model: modelPath('fraud'), port: 0, framework: framework as 'hono' | 'express', principalSecret: 'bench-secret-0123456789' });
  process.stdout.write(`${s.url}\n`);
} else {
  const model = await loadOnnxClassifier(modelPath('fraud'));
  let listener: Parameters<typeof createServer>[1];
  if (framework === 'express') {
    const app = express();
    app.post('/v1/predict', express.json(), async (req, res) => {
      res.json({ predictions: await model.predict(req.body.inputs) });
    });
    listener = app;
  } else {
    const app = new Hono();
    app.post('/v1/predict', async (c) => c.json({ predictions: await model.predict(((await c.req.json()) as { inputs: number[][] }).inputs) }));
    listener = getRequestListener(app.fetch);
  }
  const server = createServer(listener);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
}
