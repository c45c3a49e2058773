/**
 * minimise-output on a real multi-output model: the shipped digits MLP exported with its logits
 * and its hidden layer as outputs (test/fixtures/embedding/make.py), run by onnxruntime-node, and
 * a handler that returns every output it got, as careless handlers do. The answers keep the
 * declared fields only, with the embedding cut, norm-clipped and quantised, and the same labels
 * and scores as the model gave.
 */
import { fileURLToPath } from 'node:url';
import { createBulwark, minimiseOutput } from '@bulwark/core';
import { digitsData } from '@bulwark/models';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect, it } from 'vitest';

const MODEL = fileURLToPath(new URL('../fixtures/embedding/digits-embedding.onnx', import.meta.url));
let session: ort.InferenceSession;
beforeAll(async () => {
  session = await ort.InferenceSession.create(MODEL);
});
afterAll(() => session.release());

/** Every output of the model, per row: what a handler that forwards the session's result returns. */
async function everything(rows: number[][]): Promise<Record<string, unknown>[]> {
  const d = rows[0]?.length ?? 0;
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, d]) });
  const per = (name: string, i: number) => {
    const t = out[name] as ort.Tensor;
    const k = t.dims[1] as number;
    return Array.from((t.data as Float32Array).subarray(i * k, (i + 1) * k));
  };
  return rows.map((_, i) => {
    const scores = per('probabilities', i);
    return { label: scores.indexOf(Math.max(...scores)), scores, logits: per('logits', i), embedding: per('embedding', i) };
  });
}

it('returns only the declared outputs of a real multi-output model, the embedding capped', async () => {
  expect([...session.outputNames].sort()).toEqual(['embedding', 'logits', 'probabilities']);
  const rows = digitsData().test.x.slice(0, 50);
  const raw = await everything(rows);
  expect((raw[0]?.embedding as number[]).length).toBe(64);
  const guarded = createBulwark({
    guards: [minimiseOutput({ declared: ['label', 'scores', 'embedding'], vectors: [{ key: 'embedding', maxDims: 16, maxNorm: 1, decimals: 3 }] })],
  }).wrap(everything);
  const r = await guarded.run(rows, { principal: 'analyst' });
  const out = r.output as Record<string, unknown>[];
  expect(r.decisions[0]).toMatchObject({ code: 'output_minimised', attributes: { 'bulwark.minimise.dropped': 50, 'bulwark.minimise.capped': 50 } });
  let clipped = 0;
  out.forEach((o, i) => {
    expect(Object.keys(o).sort()).toEqual(['embedding', 'label', 'scores']);
    expect(o.label).toBe(raw[i]?.label);
    expect(o.scores).toEqual(raw[i]?.scores);
    const e = o.embedding as number[];
    expect(e).toHaveLength(16);
    expect(Math.hypot(...e)).toBeLessThanOrEqual(1);
    for (const x of e) expect(Math.abs(x * 1000 - Math.round(x * 1000))).toBeLessThan(1e-6);
    if (Math.hypot(...(raw[i]?.embedding as number[]).slice(0, 16)) > 1) clipped++;
  });
  // The norm clip did something on these rows (a cap that never bites shows nothing).
  expect(clipped).toBeGreaterThan(0);
});
