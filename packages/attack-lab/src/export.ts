/**
 * The hardening loop's first step: successful evasions as a dataset for adversarial training,
 * each adversarial row with the true label of the row it came from.
 */
import type { EvasionResult } from './attacks/evasion.js';

export function adversarialDataset(result: EvasionResult, format: 'jsonl' | 'csv', featureNames?: readonly string[]): string {
  const rows = result.examples.filter((e) => e.trueLabel !== undefined);
  if (format === 'jsonl') {
    return (
      rows.map((e) => JSON.stringify({ x: e.adversarial, y: e.trueLabel, original: e.original, modelLabel: e.newLabel, distance: e.distance })).join('\n') +
      (rows.length ? '\n' : '')
    );
  }
  const d = rows[0]?.adversarial.length ?? featureNames?.length ?? 0;
  const names = featureNames ?? Array.from({ length: d }, (_, i) => `f${i}`);
  const header = [...names, 'label'].join(',');
  return `${[header, ...rows.map((e) => [...e.adversarial.map((v) => String(v)), String(e.trueLabel)].join(','))].join('\n')}\n`;
}
