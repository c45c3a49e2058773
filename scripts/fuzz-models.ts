/**
 * `pnpm fuzz:models [inputs per target]` (default 1,000,000): the long fuzz campaign against the
 * model-file parsers (ONNX walker, safetensors, pickle, zip checkpoints); the short run is
 * test/supply-chain/fuzz.test.ts. Prints inputs, bytes, the slowest input and every escaped
 * exception; exits 1 on any. Figures go in docs/supply-chain.md.
 */
import { readFileSync } from 'node:fs';
import { modelPath } from '@bulwark/models';
import { type FuzzTarget, fuzzTarget } from '../test/helpers/model-fuzz.js';

const n = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 20261127);
const shipped = (['fraud', 'digits', 'leaky', 'fraud-hardened'] as const).map((m) => readFileSync(modelPath(m)));
let failed = 0;
for (const target of ['onnx', 'safetensors', 'pickle', 'zip'] as FuzzTarget[]) {
  const run = fuzzTarget(target, n, seed, shipped);
  failed += run.failures.length;
  process.stdout.write(
    `${target}: ${run.inputs.toLocaleString('en-US')} inputs, ${(run.bytes / 1e6).toFixed(1)} MB in ${(run.totalMs / 1000).toFixed(1)} s; slowest input ${run.slowestMs.toFixed(2)} ms; escaped exceptions ${run.failures.length}\n`,
  );
  for (const f of run.failures) process.stdout.write(`  #${f.index}: ${f.error}\n    input (base64): ${f.input}\n`);
}
process.exit(failed > 0 ? 1 : 0);
