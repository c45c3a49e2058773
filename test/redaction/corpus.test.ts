/**
 * Every built-in detector on the labelled corpus (test/helpers/redaction-corpus.ts): recall 1.0 on
 * positives in every Unicode variant, precision ≥ 0.99 against the hard negatives, and with the
 * full set on, no planted value left in place. `pnpm redaction` runs a larger corpus and writes
 * the figures into docs/redaction.md.
 */
import { builtinDetectors } from '@bulwark/core';
import { expect, it } from 'vitest';
import { scoreCorpus } from '../helpers/redaction-corpus.js';

const score = scoreCorpus(20, 20);

it('covers every built-in detector', () => {
  expect(score.detectors.map((d) => d.detector).sort()).toEqual(builtinDetectors.map((d) => d.id).sort());
  for (const d of score.detectors) expect(d.positives, d.detector).toBeGreaterThanOrEqual(20);
});

for (const d of score.detectors) {
  it(`${d.detector}: recall 1.0 (n = ${d.positives}) and precision ≥ 0.99 against ${d.negatives} hard negatives`, () => {
    expect({ detector: d.detector, missed: Object.entries(d.byVariant).filter(([, v]) => v.detected < v.n) }).toEqual({ detector: d.detector, missed: [] });
    expect(d.recall).toBe(1);
    expect(d.precision, d.falsePositiveExamples.join('\n')).toBeGreaterThanOrEqual(0.99);
  });
}

it('with every detector on, no planted value survives and each is attributed to its own detector', () => {
  expect(score.fullSetLeaks).toBe(0);
  expect(score.misattributed).toBe(0);
});
