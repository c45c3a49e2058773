/**
 * `pnpm harden`: the hardening loop on the shipped fraud model, end to end.
 *   1. evasion attacks (score and decision based) against the fraud model, on *training* rows
 *      it flags, exported with their true labels to packages/models/data/fraud-adversarial.jsonl;
 *   2. the same training run with those rows added (train.py --adversarial) → fraud-hardened.onnx;
 *   3. the same attacks, same seed, on *held-out* flagged rows against both models, plus benign
 *      accuracy; the comparison is written to docs/robustness.md.
 * Needs Debian's python3-sklearn and python3-onnx for step 2.
 */

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adversarialDataset, boundsOf, createTarget, type EvasionResult, evasionAttack, functionTransport, scaleOf } from '@bulwark/attack-lab';
import { createBulwark } from '@bulwark/core';
import { fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier, type OnnxClassifier } from '@bulwark/onnx';
import { fillSections } from './lib/generated.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const d = fraudData();
const scale = scaleOf(d.train.x);
const bounds = boundsOf(d.train.x);
const MUTABLE = [0, 2, 3, 4, 7];

async function attack(model: OnnxClassifier, samples: number[][], method: 'score' | 'decision'): Promise<EvasionResult> {
  const guarded = createBulwark().wrap((rows: number[][]) => model.predict(rows));
  return evasionAttack(createTarget('unguarded', functionTransport(guarded)), {
    samples,
    trueLabels: samples.map(() => 1),
    sourceLabel: 1,
    method,
    epsilon: 0.5,
    featureScale: scale,
    bounds,
    mutable: MUTABLE,
    startPool: d.train.x.slice(0, 1000),
    seed: 1,
  });
}

const base = await loadOnnxClassifier(modelPath('fraud'));
const trainFraud = d.train.x.filter((_, i) => d.train.y[i] === 1);
const found = [await attack(base, trainFraud, 'score'), await attack(base, trainFraud, 'decision')];
const jsonl = found.map((r) => adversarialDataset(r, 'jsonl')).join('');
const advPath = `${root}packages/models/data/fraud-adversarial.jsonl`;
writeFileSync(advPath, jsonl);
process.stdout.write(`1. ${jsonl.trim().split('\n').length} adversarial rows from ${trainFraud.length} flagged training rows → ${advPath}\n`);

execFileSync('/usr/bin/python3', [`${root}packages/models/train/train.py`, '--adversarial', advPath], { stdio: 'inherit' });
const hardened = await loadOnnxClassifier(modelPath('fraud-hardened'));

const testFraud = d.test.x.filter((_, i) => d.test.y[i] === 1).slice(0, 200);
const accuracy = async (m: OnnxClassifier) => {
  let ok = 0;
  for (let i = 0; i < d.test.x.length; i += 1000) ok += (await m.predict(d.test.x.slice(i, i + 1000))).filter((p, j) => p.label === d.test.y[i + j]).length;
  return ok / d.test.x.length;
};
const lines = [
  '| model | benign accuracy (4,000 held-out rows) | evasion (score): success | queries per success | evasion (decision): success | queries per success |',
  '|---|---:|---:|---:|---:|---:|',
];
for (const [name, m] of [
  ['fraud', base],
  ['fraud-hardened', hardened],
] as const) {
  const s = await attack(m, testFraud, 'score');
  const dd = await attack(m, testFraud, 'decision');
  const q = (r: EvasionResult) => (r.meanQueriesPerSuccess === undefined ? '–' : r.meanQueriesPerSuccess.toFixed(0));
  lines.push(
    `| ${name} | ${(await accuracy(m)).toFixed(4)} | ${s.succeeded}/${s.attempted} = ${s.successRate?.value.toFixed(3) ?? '–'} | ${q(s)} | ${dd.succeeded}/${dd.attempted} = ${dd.successRate?.value.toFixed(3) ?? '–'} | ${q(dd)} |`,
  );
}
const mdPath = `${root}docs/robustness.md`;
fillSections(mdPath, { hardening: lines.join('\n') });
process.stdout.write(`${lines.join('\n')}\nwrote ${mdPath}\n`);
await base.close();
await hardened.close();
