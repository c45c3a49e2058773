/**
 * Backdoor detection on the BadNets-poisoned digits specimen (packages/models/poisoned, written by
 * `train.py --backdoor`): the hidden layer is read from the ONNX model itself (`readActivations`,
 * through `exposeTensors`), and both detectors find the poisoned rows of the target class.
 */
import { readFileSync } from 'node:fs';
import { activationClustering, spectralSignatures } from '@bulwark/data';
import { modelPath } from '@bulwark/models';
import { readActivations } from '@bulwark/onnx';
import { exposeTensors, ProtobufError } from '@bulwark/supply-chain';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

const specimen = JSON.parse(readFileSync('packages/models/poisoned/digits-backdoor.json', 'utf8')) as {
  target: number;
  poisoned: number[];
  train: { x: number[][]; y: number[] };
};
const MODEL = 'packages/models/poisoned/digits-backdoor.onnx';

describe('a hidden layer read from an ONNX model', () => {
  it('exposes a node output as a graph output, keeping the model answer unchanged; refuses a tensor no node computes', async () => {
    const original = readFileSync(modelPath('digits'));
    const exposed = exposeTensors(original, ['h1']);
    const a = await ort.InferenceSession.create(original);
    const b = await ort.InferenceSession.create(exposed);
    expect(b.outputNames).toEqual(['output', 'h1']);
    const x = new ort.Tensor('float32', Float32Array.from(specimen.train.x[0] as number[]), [1, 64]);
    const [ra, rb] = [await a.run({ input: x }), await b.run({ input: x })];
    expect(Array.from(rb.output?.data as Float32Array)).toEqual(Array.from(ra.output?.data as Float32Array));
    expect(rb.h1?.dims).toEqual([1, 64]);
    expect(() => exposeTensors(original, ['not_a_tensor'])).toThrow(ProtobufError);
    // The ReLU layer's values, for many rows at once, in batches.
    const acts = await readActivations(modelPath('digits'), 'h1', specimen.train.x.slice(0, 300), { batch: 128 });
    expect(acts).toHaveLength(300);
    expect(acts.every((r) => r.length === 64 && r.every((v) => v >= 0))).toBe(true);
  });
});

describe('backdoor detectors on the poisoned specimen', () => {
  it('activation clustering isolates the poisoned rows of the target class; spectral signatures rank them first', async () => {
    const acts = await readActivations(MODEL, 'h1', specimen.train.x);
    const poisoned = new Set(specimen.poisoned);
    const ac = activationClustering(acts, specimen.train.y);
    const target = ac.classes.find((c) => c.label === specimen.target);
    const found = target?.flagged.filter((i) => poisoned.has(i)).length ?? 0;
    expect(found / poisoned.size).toBeGreaterThan(0.9);
    expect(found / (target?.flagged.length ?? 1)).toBeGreaterThan(0.9);
    const ss = spectralSignatures(acts, specimen.train.y, { epsilon: 0.1 });
    const top = ss.classes.find((c) => c.label === specimen.target)?.flagged ?? [];
    expect(top.length).toBeGreaterThan(20);
    expect(top.every((i) => poisoned.has(i))).toBe(true);
  });
});
