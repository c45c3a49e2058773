/**
 * `pnpm detection --quick`: the recommended policies against the attack lab's attacks, naive and
 * adaptive, end to end over HTTP. Checks what the figures in docs/detection.md rest on, at small
 * budgets: benign users keep their answers; query-based evasion is caught on one key and on 20
 * and flips no row; data-free extraction gets nothing from the fraud API; and the adaptive
 * attacker who extracts with natural rows is reported as undetected, not hidden; a simulated day of
 * benign traffic has its retries answered; PRADA leaves honest callers alone; the adaptive attacker
 * against feature squeezing is reported as uncaught.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '@bulwark/attack-lab';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('pnpm detection --quick: evasion caught on 1 and 20 keys, data-free extraction starved, benign answers kept, natural-data extraction reported', () => {
  const out = mkdtempSync(join(tmpdir(), 'detection-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/detection.ts'), '--quick', '--out', out], {
    cwd: root,
    encoding: 'utf8',
    timeout: 540_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(readFileSync(join(out, 'detection.json'), 'utf8')) as Report;
  const find = (model: string, attack: string, variant: string, target: string) =>
    report.runs.find((x) => x.model === model && x.result.attack === attack && x.target === target && x.variant?.startsWith(variant));
  for (const model of ['fraud', 'digits'])
    for (const variant of ['one key per method', '20 keys, round-robin']) {
      const run = find(model, 'evasion', variant, 'recommended');
      const open = find(model, 'evasion', variant, 'unguarded');
      if (run?.result.attack !== 'evasion' || open?.result.attack !== 'evasion') throw new Error(`missing ${model} ${variant}`);
      expect(run.result.stats.detected?.code, `${model} ${variant}`).toBe('attack_suspected');
      expect(run.result.successPerWanted.value).toBeLessThanOrEqual(0.1);
      expect(open.result.successPerWanted.value).toBeGreaterThan(0.2); // the same search succeeds unguarded
    }
  const dataFree = find('fraud', 'extraction', '10 keys, data-free', 'recommended');
  expect(dataFree?.result.attack === 'extraction' && dataFree.result.stats.rowsAnswered).toBeLessThan(100);
  const natural = find('fraud', 'extraction', 'adaptive: 10 keys, natural rows', 'recommended');
  expect(natural?.result.attack === 'extraction' && natural.result.stats.detected).toBeUndefined(); // the attacker wins: said, not hidden
  for (const u of report.utility.filter((x) => x.target === 'recommended')) {
    expect(u.labelAgreement.value, u.model).toBeGreaterThanOrEqual(0.99);
    expect(u.refused.value, u.model).toBe(0);
  }
  // A day of benign traffic with retries: retries are answered under the recommended policy; the
  // same day with retries matched (the old behaviour) flags callers on their retries alone.
  const day = JSON.parse(readFileSync(join(out, 'day-stream.json'), 'utf8')) as Record<
    string,
    { rows: number; retries: number; agreeingRows: number; flaggedOnRetryOnly: Record<string, number> }
  >;
  const recommended = day['recommended policy'];
  const matching = day['recommended, near-duplicates with `repeats: match`'];
  expect(recommended?.retries).toBeGreaterThan(0);
  expect(recommended?.flaggedOnRetryOnly['near-duplicates'] ?? 0).toBe(0);
  expect(matching?.flaggedOnRetryOnly['near-duplicates'] ?? 0).toBeGreaterThan(0);
  expect((recommended?.agreeingRows ?? 0) / (recommended?.rows ?? 1)).toBeGreaterThanOrEqual(0.97);
  // The same day with an attack inside it: the attack ran and was answered, and the honest rows
  // sent meanwhile kept their labels.
  const inDay = Object.entries(day).filter(([name]) => name.startsWith('recommended policy, '));
  expect(inDay.map(([name]) => name.split(',')[1]?.trim())).toEqual(['score-based evasion', 'natural-data extraction']);
  for (const [name, v] of inDay) {
    const during = (v as { during?: { rows: number; agreeingRows: number; result: { stats: { rowsAnswered: number } } } }).during;
    expect(during?.result.stats.rowsAnswered, name).toBeGreaterThan(0);
    expect(during?.rows, name).toBeGreaterThan(20);
    expect((during?.agreeingRows ?? 0) / (during?.rows ?? 1), name).toBeGreaterThanOrEqual(0.99);
  }
  // The digits day: honest images keep their labels while its two attacks run.
  const digitsInDay = Object.entries(day).filter(([name]) => name.startsWith('digits: recommended-digits policy, '));
  expect(digitsInDay).toHaveLength(3);
  // With ood's caller-rate test, the paced data-free extraction is refused (it is answered without it).
  const [paced, pacedWithRate] = digitsInDay
    .slice(1)
    .map(([, v]) => (v as unknown as { during: { result: { stats: { rowsAnswered: number; detected?: { code: string } } } } }).during.result.stats);
  expect(paced?.detected).toBeUndefined();
  expect(pacedWithRate?.detected?.code).toBe('attack_suspected');
  expect(pacedWithRate?.rowsAnswered ?? 0).toBeLessThan((paced?.rowsAnswered ?? 0) / 2);
  for (const [name, v] of digitsInDay.slice(0, 2)) {
    const during = (v as { during?: { rows: number; agreeingRows: number; result: { got: string; stats: { rowsSent: number } } } }).during;
    // The attack ran, on rows it wanted (an evasion that wanted no row measured nothing).
    expect(during?.result.stats.rowsSent, name).toBeGreaterThan(0);
    expect(during?.result.got, name).not.toMatch(/\(n 0\)/);
    expect(during?.rows, name).toBeGreaterThan(5);
    expect(during?.agreeingRows, name).toBe(during?.rows);
  }
  const table = readFileSync(join(out, 'detection-table.md'), 'utf8');
  expect(table).toContain('| ood (Mahalanobis, targetFpr 0.01) | fraud | 4000 |');
  // PRADA on log distances leaves honest callers alone on both models (the published raw test flagged all).
  for (const model of ['fraud', 'digits'])
    expect(table).toMatch(new RegExp(`\\| extraction-detection \\(PRADA[^|]*\\| ${model} \\| 20 callers × 300 rows \\| 0 callers \\|`));
  // Feature squeezing: the adaptive attacker on the squeezer's grid finds examples and none is caught (said, not hidden).
  const squeezing = table.split('\n').filter((l) => l.startsWith('| bit depth'));
  expect(squeezing).toHaveLength(3);
  for (const line of squeezing) {
    const cells = line.split('|').map((c) => c.trim());
    expect(cells[7], line).toMatch(/^0\/\d+:|^not measured/);
  }
  expect(
    squeezing.some((line) => /^0\/[1-9]\d*:/.test(line.split('|')[7]?.trim() ?? '')),
    'some adaptive examples found',
  ).toBe(true);
}, 600_000);
