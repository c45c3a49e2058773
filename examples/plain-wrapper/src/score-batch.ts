/**
 * The plain function wrapper: no web framework. A nightly job scores a file of transactions
 * through the same guards as the API, so that batch access is accounted and audited too.
 */
import { createBulwark, type Decision, maskOutput } from '@bulwark/core';
import { fraudData, modelPath, modelsPublicKey } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';

export async function scoreBatch(rows: number[][], job: string): Promise<{ flagged: number; decisions: readonly Decision[] }> {
  const model = await loadOnnxClassifier(modelPath('fraud'), { verifyWith: modelsPublicKey() });
  const bulwark = createBulwark({ model: model.descriptor, guards: [maskOutput({ form: 'label' })] });
  const predict = bulwark.wrap((batch: number[][]) => model.predict(batch), { validateInput: (b) => model.validate(b) });
  // The principal is the job, so its queries are counted like any caller's (N rows = N queries).
  const result = await predict.run(rows, { principal: { kind: 'tenant', id: job } });
  await model.close();
  return { flagged: result.output.filter((p) => p.label === 1).length, decisions: result.decisions };
}

export const sampleRows = (): number[][] => fraudData().test.x.slice(0, 500);
