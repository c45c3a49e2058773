/**
 * An ONNX classifier on onnxruntime-node: float32 input `[batch, d]`, output `[batch, k]`.
 * Every model is loaded verified (verified-load.ts): the file is read once, checked (links, size,
 * digest or signature, its graph walked), and the session is created from those same bytes, so
 * what was checked is what runs.
 */
import { basename } from 'node:path';
import { BulwarkError, ConfigError, type ModelDescriptor, type Prediction } from '@bulwark/core';
import * as ort from 'onnxruntime-node';
import { argmax, looksLikeProbabilities, softmaxRow } from './scores.js';
import { checkFloat32Rows, toFloat32Rows } from './tensor-input.js';
import { canaryLoad, type VerifyOptions, verifyModelSource } from './verified-load.js';

export interface OnnxClassifierOptions extends VerifyOptions {
  /** Name in telemetry (default: the file name without `.onnx`). */
  readonly name?: string | undefined;
  readonly version?: string | undefined;
  /**
   * What the output holds: `probabilities` (returned as is), `logits` (softmax applied), or `auto`
   * (default: decided once at load time by running one all-zero row).
   */
  readonly scores?: 'auto' | 'probabilities' | 'logits' | undefined;
  /** Most rows in one call (default 1024). */
  readonly maxBatch?: number | undefined;
  /** Passed to onnxruntime (default: one intra-op thread, which is fastest for small models). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions | undefined;
}

export interface TensorDescription {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

export interface ClassifierInfo {
  readonly inputs: readonly TensorDescription[];
  readonly outputs: readonly TensorDescription[];
  /** d: features per row. */
  readonly features: number;
  /** k: classes. */
  readonly classes: number;
  readonly scores: 'probabilities' | 'logits';
}

export interface OnnxClassifier {
  readonly descriptor: ModelDescriptor & { readonly digest: string; readonly features: number; readonly classes: number };
  readonly info: ClassifierInfo;
  /** Throws `invalid_input` (with the path of the first problem) when rows do not fit the model. */
  validate(rows: unknown): void;
  /** Class probabilities and predicted label for each row. */
  predict(rows: readonly (readonly number[])[]): Promise<Prediction[]>;
  /** The raw output tensor data, `rows × k`, before any softmax. */
  runRaw(rows: readonly (readonly number[])[]): Promise<Float32Array>;
  close(): Promise<void>;
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorDescription[] {
  return meta.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'non-tensor',
    shape: m.isTensor ? m.shape.map((d) => (typeof d === 'number' ? d : String(d))) : [],
  }));
}

/**
 * Loads an ONNX classifier.
 *
 * @example
 * ```ts
 * const model = await loadOnnxClassifier('fraud.onnx', { expectedSha256: '34648e…' })
 * const [p] = await model.predict([[120, 3, 0.4, 12, 1, 0, 0, 400]])
 * ```
 * @throws {ConfigError} when the model is not a float32 [batch, d] → [batch, k] classifier.
 * @throws {BulwarkError} `model_rejected` when the file fails verification (digest, signature,
 *   links, external data, operator domains, limits); `model_unavailable` when it cannot be read or
 *   onnxruntime cannot load it.
 */
export async function loadOnnxClassifier(source: string | Uint8Array, options: OnnxClassifierOptions = {}): Promise<OnnxClassifier> {
  const verified = verifyModelSource(source, options);
  if (options.canary) await canaryLoad(verified);
  const { bytes, digest } = verified;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      ...options.sessionOptions,
      // Only the bytes read and checked above: onnxruntime opens no file by path.
      ...(verified.externalData.length > 0 ? { externalData: verified.externalData.map((f) => ({ path: f.location, data: f.bytes })) } : {}),
    });
  } catch (err) {
    throw new BulwarkError('model_unavailable', 'onnxruntime could not load the model', { cause: err });
  }
  const inputs = describe(session.inputMetadata);
  const outputs = describe(session.outputMetadata);
  const problems = [];
  const inShape = inputs[0]?.shape ?? [];
  const outShape = outputs[0]?.shape ?? [];
  if (inputs.length !== 1 || inputs[0]?.type !== 'float32' || inShape.length !== 2 || typeof inShape[1] !== 'number') {
    problems.push({ path: 'inputs', rule: 'must be one float32 tensor [batch, d] with a fixed d', received: JSON.stringify(inputs) });
  }
  if (outputs.length < 1 || outShape.length !== 2 || typeof outShape[1] !== 'number') {
    problems.push({ path: 'outputs', rule: 'first output must be a tensor [batch, k] with a fixed k', received: JSON.stringify(outputs) });
  }
  if (problems.length > 0) {
    await session.release();
    throw new ConfigError(problems, 'ONNX classifier');
  }
  const features = inShape[1] as number;
  const classes = outShape[1] as number;
  const inputName = inputs[0]?.name as string;
  const outputName = outputs[0]?.name as string;
  const maxBatch = options.maxBatch ?? 1024;

  async function runRaw(rows: readonly (readonly number[])[]): Promise<Float32Array> {
    const data = toFloat32Rows(rows, features, maxBatch);
    const n = rows.length;
    const result = await session.run({ [inputName]: new ort.Tensor('float32', data, [n, features]) });
    const out = result[outputName];
    if (out === undefined || out.dims.length !== 2 || out.dims[0] !== n || out.dims[1] !== classes) {
      throw new BulwarkError('model_unavailable', 'model returned an output of unexpected shape');
    }
    return out.data as Float32Array;
  }

  let scores = options.scores ?? 'auto';
  if (scores === 'auto') {
    const probe = await runRaw([new Array<number>(features).fill(0)]);
    scores = looksLikeProbabilities(probe, 1, classes) ? 'probabilities' : 'logits';
  }
  const applySoftmax = scores === 'logits';

  const descriptor = Object.freeze({
    name: options.name ?? (typeof source === 'string' ? basename(source).replace(/\.onnx$/i, '') : 'model'),
    version: options.version,
    digest,
    features,
    classes,
    dtype: 'float32',
  });
  return {
    descriptor,
    info: Object.freeze({ inputs, outputs, features, classes, scores }),
    validate(rows) {
      checkFloat32Rows(rows, features, maxBatch);
    },
    runRaw,
    async predict(rows) {
      const out = await runRaw(rows);
      const predictions = new Array<Prediction>(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const off = r * classes;
        const p = applySoftmax ? softmaxRow(out, off, classes) : Array.from(out.subarray(off, off + classes));
        predictions[r] = { label: argmax(p, 0, classes), scores: p };
      }
      return predictions;
    },
    close: () => session.release(),
  };
}
