/**
 * A hidden layer's activations for a set of rows: the model is verified as for serving
 * (`verifyModelSource`: digest, signature, external data, op domains, limits), the tensor is
 * exposed as an extra output (`exposeTensors`), and the rows are run in batches. For the backdoor
 * detectors of `@bulwark/data`, which look for poisoned training rows in how the model represents
 * them, not in the rows themselves.
 */

import { BulwarkError, ConfigError } from '@bulwark/core';
import { exposeTensors, ProtobufError } from '@bulwark/supply-chain';
import * as ort from 'onnxruntime-node';
import { toFloat32Rows } from './tensor-input.js';
import { type VerifyOptions, verifyModelSource } from './verified-load.js';

export interface ActivationOptions extends VerifyOptions {
  /** Rows per run (default 256). */
  readonly batch?: number | undefined;
}

/** The activations of `tensor` (e.g. `h1`, a hidden ReLU layer) for each row: one Float32Array per row. */
export async function readActivations(
  source: string | Uint8Array,
  tensor: string,
  rows: readonly (readonly number[])[],
  options: ActivationOptions = {},
): Promise<Float32Array[]> {
  const verified = verifyModelSource(source, options);
  if (verified.externalData.length > 0)
    throw new ConfigError([{ path: 'model', rule: 'activations are read from models without external data', received: 'external data' }], 'readActivations');
  let bytes: Buffer;
  try {
    bytes = exposeTensors(verified.bytes, [tensor]);
  } catch (err) {
    if (err instanceof ProtobufError) throw new ConfigError([{ path: 'tensor', rule: err.message, received: tensor }], 'readActivations');
    throw err;
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (err) {
    throw new BulwarkError('model_unavailable', 'onnxruntime could not load the model with the exposed tensor', { cause: err });
  }
  try {
    const input = session.inputNames[0] as string;
    const meta = session.inputMetadata[0];
    const d = meta?.isTensor && typeof meta.shape[1] === 'number' ? meta.shape[1] : (rows[0]?.length ?? 0);
    const batch = options.batch ?? 256;
    const out: Float32Array[] = [];
    for (let i = 0; i < rows.length; i += batch) {
      const part = rows.slice(i, i + batch);
      const data = toFloat32Rows(part, d, batch);
      const result = await session.run({ [input]: new ort.Tensor('float32', data, [part.length, d]) });
      const t = result[tensor];
      if (t === undefined || t.dims.length !== 2 || t.dims[0] !== part.length)
        throw new BulwarkError('model_unavailable', `tensor ${tensor} is not [batch, width] (dims ${JSON.stringify(t?.dims)}, ${part.length} rows)`);
      const width = t.dims[1] as number;
      const values = t.data as Float32Array;
      for (let r = 0; r < part.length; r++) out.push(values.slice(r * width, (r + 1) * width));
    }
    return out;
  } finally {
    await session.release();
  }
}
