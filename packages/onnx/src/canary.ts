/**
 * The canary: loads a model given on stdin (a JSON header line, then the external data files,
 * then the model bytes) and runs one all-zero row. Exit 0 with {"ok":true} if onnxruntime
 * survived; a crash ends only this process.
 */
import * as ort from 'onnxruntime-node';

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const all = Buffer.concat(chunks);
const nl = all.indexOf(10);
const header = JSON.parse(all.subarray(0, nl).toString('utf8')) as { externalData: { path: string; length: number }[] };
let p = nl + 1;
const externalData = header.externalData.map((f) => {
  const data = all.subarray(p, p + f.length);
  p += f.length;
  return { path: f.path, data };
});
const session = await ort.InferenceSession.create(all.subarray(p), {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  ...(externalData.length > 0 ? { externalData } : {}),
});
const input = session.inputMetadata[0];
if (input?.isTensor && input.type === 'float32') {
  const dims = input.shape.map((d) => (typeof d === 'number' ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  await session.run({ [input.name]: new ort.Tensor('float32', new Float32Array(n), dims) });
}
await session.release();
process.stdout.write('{"ok":true}\n');
