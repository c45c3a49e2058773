/**
 * (a) In-process cost of the guard pipeline per call, against the bare call in the same run.
 * Variants run interleaved (round-robin, many rounds) so drift and GC hit all of them alike; each
 * figure is the median over rounds of the mean ns/call within a round.
 */
import { createBulwark, type Guard, maskOutput, type Prediction } from '@bulwark/core';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { measureInterleaved as measure } from './stats.js';

export interface PipelineResult {
  /** ns/call with a no-op predict: the pipeline's own cost. */
  overheadNs: Record<string, number>;
  /** ns/call around the real fraud model, and the ratio to the bare model call. */
  modelNs: Record<string, number>;
  modelRatio: Record<string, number>;
}

export async function benchPipeline(quick = false): Promise<PipelineResult> {
  const rounds = quick ? 5 : 40;
  const calls = quick ? 200 : 2000;
  const row = fraudData().test.x[0] as number[];
  const rows = [row];
  const model = await loadOnnxClassifier(modelPath('fraud'));
  const fixed: Prediction[] = [{ label: 1, scores: [0.2, 0.8] }];
  const noop = (_rows: number[][]) => fixed;
  const trivial: Guard = { name: 'trivial', beforeInference: () => undefined };
  const P = { principal: 'bench-user' };

  const empty = createBulwark();
  const one = createBulwark({ guards: [trivial] });
  const mask = createBulwark({ guards: [maskOutput({ form: 'rounded', decimals: 2 })] });

  const emptyNoop = empty.wrap(noop);
  const oneNoop = one.wrap(noop);
  const maskNoop = mask.wrap(noop);
  const overheadNs = await measure(
    {
      'bare no-op call': async () => noop(rows),
      'empty pipeline': () => emptyNoop(rows, P),
      'one trivial guard': () => oneNoop(rows, P),
      'mask-output (rounded)': () => maskNoop(rows, P),
    },
    rounds,
    calls * 5,
  );
  const base = overheadNs['bare no-op call'] ?? 0;
  for (const k of Object.keys(overheadNs)) if (k !== 'bare no-op call') overheadNs[`${k} (added)`] = (overheadNs[k] ?? 0) - base;

  const predict = (r: number[][]) => model.predict(r);
  const emptyModel = empty.wrap(predict);
  const oneModel = one.wrap(predict);
  const maskModel = mask.wrap(predict);
  const modelNs = await measure(
    {
      'bare model call': () => model.predict(rows),
      'empty pipeline': () => emptyModel(rows, P),
      'one trivial guard': () => oneModel(rows, P),
      'mask-output (rounded)': () => maskModel(rows, P),
    },
    rounds,
    calls,
  );
  const bare = modelNs['bare model call'] ?? 1;
  const modelRatio = Object.fromEntries(Object.entries(modelNs).map(([k, v]) => [k, v / bare]));
  await model.close();
  return { overheadNs, modelNs, modelRatio };
}
