import { digitsData, fraudData, modelInfo, modelPath } from '@bulwark/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxClassifier, type OnnxClassifier } from './classifier.js';

let fraud: OnnxClassifier;
let digits: OnnxClassifier;
beforeAll(async () => {
  fraud = await loadOnnxClassifier(modelPath('fraud'), { expectedSha256: modelInfo('fraud').sha256 });
  digits = await loadOnnxClassifier(modelPath('digits'));
});
afterAll(async () => {
  await fraud.close();
  await digits.close();
});

const err = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return { code: (e as { code: string }).code, path: (e as { path?: string }).path, message: (e as Error).message };
  }
  return { code: 'ok' };
};

describe('loadOnnxClassifier on the shipped models', () => {
  it('describes inputs and outputs and decides probabilities vs logits', () => {
    expect(fraud.info).toMatchObject({ features: 8, classes: 2, scores: 'probabilities' });
    expect(fraud.info.inputs[0]).toEqual({ name: 'input', type: 'float32', shape: ['batch', 8] });
    expect(digits.info).toMatchObject({ features: 64, classes: 10, scores: 'logits' });
    expect(fraud.descriptor).toMatchObject({ name: 'fraud', digest: modelInfo('fraud').sha256 });
  });

  it('reproduces the probabilities the model gave in training (fraud, probabilities)', async () => {
    const { test } = fraudData();
    const preds = await fraud.predict(test.x.slice(0, 500));
    preds.forEach((p, i) => {
      const ref = test.probs[i] as number[];
      expect(p.scores?.[1]).toBeCloseTo(ref[1] as number, 3);
      expect(p.label).toBe((ref[1] as number) > 0.5 ? 1 : 0);
    });
    let correct = 0;
    for (let i = 0; i < test.x.length; i += 1000) {
      const batch = await fraud.predict(test.x.slice(i, i + 1000));
      correct += batch.filter((p, j) => p.label === test.y[i + j]).length;
    }
    // The shipped split is rounded to 4 decimals, so a row or two near the boundary may flip.
    expect(Math.abs(correct / test.y.length - modelInfo('fraud').testAccuracy)).toBeLessThan(0.002);
  });

  it('applies softmax to a logits model (digits) and matches training', async () => {
    const { test } = digitsData();
    const preds = await digits.predict(test.x.slice(0, 100));
    preds.forEach((p, i) => {
      expect((p.scores ?? []).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      for (const [j, q] of (test.probs[i] as number[]).entries()) expect(p.scores?.[j]).toBeCloseTo(q, 3);
    });
  });

  it('a batch gives the same answers as its rows one by one', async () => {
    const rows = fraudData().test.x.slice(0, 50);
    const batch = await fraud.predict(rows);
    for (let i = 0; i < rows.length; i++) expect((await fraud.predict([rows[i] as number[]]))[0]).toEqual(batch[i]);
  });

  it('rejects wrong widths, non-numbers and values that are not finite as float32', async () => {
    const row = fraudData().test.x[0] as number[];
    expect(await err(fraud.predict([row.slice(1)]))).toMatchObject({ code: 'invalid_input', path: 'inputs[0]' });
    expect(await err(fraud.predict([row, [...row.slice(0, 7), 1e39]]))).toMatchObject({
      code: 'invalid_input',
      path: 'inputs[1][7]',
      message: 'value is not finite as float32',
    });
    expect(await err(fraud.predict([[...row.slice(0, 3), Number.NaN, ...row.slice(4)]]))).toMatchObject({ code: 'invalid_input', path: 'inputs[0][3]' });
    expect(await err(fraud.predict([[...row.slice(0, 2), '3' as never, ...row.slice(3)]]))).toMatchObject({ code: 'invalid_input', path: 'inputs[0][2]' });
    expect(await err(fraud.predict([]))).toMatchObject({ code: 'invalid_input' });
    expect(await err(() => fraud.validate('nope'))).toMatchObject({ code: 'invalid_input' });
    // validate checks without converting: the same refusals, the same paths.
    expect(await err(() => fraud.validate([row, [...row.slice(0, 7), 1e39]]))).toMatchObject({
      path: 'inputs[1][7]',
      message: 'value is not finite as float32',
    });
    expect(await err(() => fraud.validate([[...row.slice(0, 3), Number.NaN, ...row.slice(4)]]))).toMatchObject({ path: 'inputs[0][3]' });
    expect(await err(() => fraud.validate([row.slice(1)]))).toMatchObject({ path: 'inputs[0]' });
    expect(fraud.validate([row, [...row.slice(0, 7), 3.4e38]])).toBeUndefined();
    expect(await err(fraud.predict(new Array(1025).fill(row)))).toMatchObject({ code: 'invalid_input', message: 'at most 1024 rows per call (received 1025)' });
  });

  it('refuses a file whose digest does not match, and a file that is not a model (model_rejected); a missing file is model_unavailable', async () => {
    expect(await err(loadOnnxClassifier(modelPath('fraud'), { expectedSha256: '0'.repeat(64) }))).toMatchObject({
      code: 'model_rejected',
      message: expect.stringMatching(/digest mismatch/),
    });
    expect(await err(loadOnnxClassifier(new Uint8Array([1, 2, 3, 4])))).toMatchObject({
      code: 'model_rejected',
      message: expect.stringMatching(/onnx\/parse-error/),
    });
    expect(await err(loadOnnxClassifier('/nonexistent/model.onnx'))).toMatchObject({ code: 'model_unavailable' });
  });
});
