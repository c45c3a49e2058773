/**
 * `pnpm redaction`: every built-in detector on the labelled corpus at full size (100 positives per
 * detector and Unicode variant, 100 hard negatives per kind), written into docs/redaction.md with
 * the corpus's make-up; docs/reports/redaction-corpus.json keeps the whole score. The test suite
 * runs the same at 20 per cell (test/redaction/corpus.test.ts). `--quick` is a short smoke run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { negatives, scoreCorpus } from '../test/helpers/redaction-corpus.js';
import { fillSections } from './lib/generated.js';

const quick = process.argv.includes('--quick');
const per = quick ? 10 : 100;
const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const score = scoreCorpus(per, per);
const kinds = [...new Set(negatives(1).map((n) => n.kind))];

const fmt = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(4));
const lines = [
  `${score.positives} positives (${per} per detector and Unicode variant, each planted in one of nine contexts in Latin, Cyrillic, Arabic and Japanese text or JSON) and ${score.negatives} hard negatives (${per} each of: ${kinds.join('; ')}). Each detector alone; recall counts a planted value as found when one match covers all of it; precision is found ÷ (found + negative items with any match).`,
  '',
  '| detector | positives | recall | variants (all found) | hard negatives | false positives | precision |',
  '|---|---:|---:|---|---:|---:|---:|',
  ...score.detectors.map(
    (d) =>
      `| ${d.detector} | ${d.positives} | ${fmt(d.recall)} | ${Object.entries(d.byVariant)
        .map(([v, x]) => (x.detected === x.n ? v : `${v} (${x.detected}/${x.n})`))
        .join(', ')} | ${d.negatives} | ${d.falsePositives} | ${fmt(d.precision)} |`,
  ),
  '',
  `All twelve together: ${score.fullSetLeaks} of ${score.positives} planted values left (partly) in place, ${score.misattributed} found by another detector than their own.`,
];
if (!quick) {
  fillSections(`${docs}redaction.md`, { corpus: lines.join('\n') });
  mkdirSync(`${docs}reports`, { recursive: true });
  writeFileSync(`${docs}reports/redaction-corpus.json`, `${JSON.stringify({ date: new Date().toISOString(), per, ...score }, null, 2)}\n`);
}
process.stdout.write(`${lines.join('\n')}\n`);
const failed = score.detectors.filter((d) => d.recall < 1 || d.precision < 0.99);
if (failed.length > 0 || score.fullSetLeaks > 0) {
  process.stderr.write(`below target: ${failed.map((d) => d.detector).join(', ') || 'full-set leaks'}\n`);
  process.exitCode = 1;
}
