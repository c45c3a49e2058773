/**
 * `pnpm corpus --out <dir>`: writes the supply-chain regression corpus (crafted ONNX models,
 * pickles, safetensors) to look at by hand, or to point `bulwark scan` at. Nothing hostile is
 * stored in the repository: the files are built by test/helpers/model-corpus.ts.
 */
import { mkdirSync } from 'node:fs';
import { modelPath } from '@bulwark/models';
import { buildCorpus, cleanModelBytes } from '../test/helpers/model-corpus.js';

const out = process.argv[process.argv.indexOf('--out') + 1];
if (!process.argv.includes('--out') || !out) {
  process.stderr.write('usage: pnpm corpus --out <dir>\n');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const cases = buildCorpus(out, cleanModelBytes(modelPath('fraud')));
for (const c of cases) process.stdout.write(`${c.expect.padEnd(6)} ${c.rule ?? ''.padEnd(0)}\t${c.path}\n`);
process.stdout.write(`${cases.length} files under ${out}\n`);
