/**
 * A card-fraud scoring API on Express, guarded by Bulwark.
 *
 *   POST /v1/predict  the standard contract, in one line (scores rounded to 2 decimals)
 *   POST /v1/score    a handler that shapes its own answer, using the middleware form
 *   POST /v1/cases    scores with the similar past cases, personal data redacted (cases-policy.yaml)
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createBulwark, guardsFromPolicy, loadPolicy, maskOutput, type PredictGuarded } from '@bulwark/core';
import { bulwark, errorHandler, predictHandler } from '@bulwark/express';
import { modelInfo, modelPath, modelsPublicKey } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import express from 'express';

/** Demo keys. In production keep only their sha256 in config (`bulwark hash-key`). */
export const DEMO_KEYS = { checkout: 'sk_demo_checkout_service', analyst: 'sk_demo_fraud_analyst' };
const sha = (k: string) => createHash('sha256').update(k).digest('hex');

export async function createFraudServer(): Promise<{ server: Server; close(): Promise<void> }> {
  const model = await loadOnnxClassifier(modelPath('fraud'), { version: '1', expectedSha256: modelInfo('fraud').sha256, verifyWith: modelsPublicKey() });
  const guarded = createBulwark({
    model: model.descriptor,
    guards: [maskOutput({ form: 'rounded', decimals: 2 })],
  }).wrap((rows: number[][]) => model.predict(rows), { validateInput: (rows) => model.validate(rows) });

  const cases = await guardedCases(model);

  const auth = {
    requireApiKey: true,
    apiKeys: [
      { name: 'checkout', sha256: sha(DEMO_KEYS.checkout) },
      { name: 'analyst', sha256: sha(DEMO_KEYS.analyst) },
    ],
  };
  const app = express();
  app.post('/v1/predict', predictHandler(guarded, auth));
  app.post('/v1/score', bulwark(guarded, auth), async (req, res) => {
    const body = (await req.bulwark?.readJson()) as { transaction?: unknown };
    const { output } = (await req.bulwark!.predict([body.transaction as number[]])) as { output: { scores?: number[] }[] };
    const p = output[0]?.scores?.[1] ?? 0;
    res.json({ decision: p >= 0.5 ? 'review' : 'approve', risk: p >= 0.8 ? 'high' : p >= 0.5 ? 'medium' : 'low' });
  });
  app.post('/v1/cases', predictHandler(cases.guarded, auth));
  app.use(errorHandler());
  const server = createServer(app);
  const close = async () => {
    await new Promise((r) => server.close(r));
    await cases.close();
    await model.close();
  };
  return { server, close };
}

/** The cases policy (one file for Express, Hono and `bulwark serve`). */
export const CASES_POLICY = fileURLToPath(new URL('../cases-policy.yaml', import.meta.url));

/** The model guarded by the cases policy: scores, similar cases, personal data redacted. */
export async function guardedCases(model: Awaited<ReturnType<typeof loadOnnxClassifier>>): Promise<{ guarded: PredictGuarded; close(): Promise<void> }> {
  const policy = await loadPolicy(CASES_POLICY);
  const bulwark = createBulwark({ model: model.descriptor, guards: guardsFromPolicy(policy, { model: model.descriptor }) });
  const guarded = bulwark.wrap((rows: number[][]) => model.predict(rows), { validateInput: (rows) => model.validate(rows) });
  return { guarded, close: () => bulwark.close() };
}
