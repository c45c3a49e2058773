/**
 * The same cases route on Hono: the fraud model, the cases policy, personal data redacted.
 *
 *   POST /v1/cases    scores with the similar past cases (cases-policy.yaml)
 */
import { errorHandler, predictHandler } from '@bulwark/hono';
import { modelInfo, modelPath, modelsPublicKey } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { Hono } from 'hono';
import { guardedCases } from './app.js';

export async function createFraudHonoApp(): Promise<{ app: Hono; close(): Promise<void> }> {
  const model = await loadOnnxClassifier(modelPath('fraud'), { version: '1', expectedSha256: modelInfo('fraud').sha256, verifyWith: modelsPublicKey() });
  const cases = await guardedCases(model);
  const app = new Hono();
  app.post('/v1/cases', predictHandler(cases.guarded));
  app.onError(errorHandler);
  return {
    app,
    close: async () => {
      await cases.close();
      await model.close();
    },
  };
}
