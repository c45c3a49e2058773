/**
 * An 8x8 digit classifier on Hono, guarded by Bulwark: anyone may call it (callers are keyed by
 * address, IPv6 by /56), and answers carry the top score only.
 */
import { createBulwark, maskOutput } from '@bulwark/core';
import { predictHandler } from '@bulwark/hono';
import { modelPath, modelsPublicKey } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { Hono } from 'hono';

export async function createDigitsApp(): Promise<{ app: Hono; close(): Promise<void> }> {
  const model = await loadOnnxClassifier(modelPath('digits'), { verifyWith: modelsPublicKey() }); // refused unless signed by that key
  const guarded = createBulwark({ model: model.descriptor, guards: [maskOutput({ form: 'top-k', k: 1, decimals: 3 })] }).wrap(
    (rows: number[][]) => model.predict(rows),
    { validateInput: (rows) => model.validate(rows) },
  );
  const app = new Hono();
  app.post('/v1/predict', predictHandler(guarded));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  return { app, close: () => model.close() };
}
