import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DataProfile, ProfileBuilder } from '@bulwark/core';
import { seededUniform } from '@bulwark/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchValidator, type ValidationReport, validateFile } from './validate.js';

const rng = seededUniform;

const COLUMNS = ['amount', 'hour', 'risk', 'flag', 'distance', 'age'];
/** Rows of a small fraud-like table: a log-normal amount, an hour 0-23, a risk score in [0,1), a 0/1 flag, two more continuous features, a label. */
function rows(n: number, seed: number, shift: { amountScale?: number; newFlag?: number } = {}): number[][] {
  const r = rng(seed);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const amount = Math.exp(3.6 + 1.1 * z) * (shift.amountScale ?? 1);
    const hour = Math.floor(r() * 24);
    const risk = r() * r();
    const flag = shift.newFlag !== undefined && r() < 0.2 ? shift.newFlag : r() < 0.3 ? 1 : 0;
    const distance = -Math.log(1 - r()) * 10;
    const age = r() * 5000;
    const label = r() < 0.1 + 0.5 * risk ? 1 : 0;
    out.push([amount, hour, risk, flag, distance, age, label]);
  }
  return out;
}

function profileOf(data: number[][]): DataProfile {
  const b = new ProfileBuilder(COLUMNS);
  for (const row of data) b.add(row.slice(0, 6), row[6]);
  return b.finish({ source: 'train.csv', sha256: '0'.repeat(64), bytes: 0, labelColumn: 'label', createdAt: '2026-11-27T00:00:00Z', tool: 'test' });
}

function check(profile: DataProfile, data: readonly (readonly unknown[])[], header = [...COLUMNS, 'label']): ValidationReport {
  const v = new BatchValidator(profile);
  v.columns(header);
  for (const [i, row] of data.entries()) v.row(row, i + 2);
  return v.finish('batch.csv', 'f'.repeat(64));
}

const atLeastMedium = (r: ValidationReport) => r.findings.filter((f) => f.severity !== 'info' && f.severity !== 'low');
const profile = profileOf(rows(20_000, 1));

describe('BatchValidator', () => {
  it('passes clean batches from the same distribution (no finding at medium or above in 20 batches)', () => {
    for (let s = 0; s < 20; s++) {
      const r = check(profile, rows(2000, 100 + s));
      expect(atLeastMedium(r), JSON.stringify(r.findings)).toEqual([]);
    }
  });

  it('flags the shifted features and only them: scaled amounts (drift) and a new category of the flag', () => {
    const r = check(profile, rows(2000, 7, { amountScale: 1.5, newFlag: 2 }));
    const flagged = new Set(atLeastMedium(r).map((f) => f.where));
    expect([...flagged].sort()).toEqual(['column amount', 'column flag']);
    expect(r.findings.find((f) => f.rule === 'data/drift' && f.where === 'column amount')?.severity).toMatch(/medium|high/);
    const cat = r.findings.find((f) => f.rule === 'data/new-category');
    expect(cat?.severity).toBe('high');
    expect(cat?.message).toContain('(2; p = ');
  });

  it('reports schema problems, bad cells and missing values by column and line, without echoing cell text', () => {
    const data: unknown[][] = rows(500, 3).map((row) => row.map(String));
    (data[10] as unknown[])[0] = 'secret-account-4111';
    (data[20] as unknown[])[2] = '';
    (data[21] as unknown[])[2] = 'NA';
    const r = check(
      profile,
      data.map((row) => [row[0], row[2], row[3], row[4], row[5], row[6], 'x']),
      ['amount', 'risk', 'flag', 'distance', 'age', 'label', 'note'],
    );
    const by = (rule: string) => r.findings.find((f) => f.rule === `data/${rule}`);
    expect(by('missing-column')).toMatchObject({ severity: 'high', where: 'column hour' });
    expect(by('unknown-column')).toMatchObject({ severity: 'low', where: 'column note' });
    expect(by('not-a-number')).toMatchObject({ severity: 'high', where: 'column amount' });
    expect(by('not-a-number')?.message).toContain('line 12');
    expect(by('missing-values')).toMatchObject({ severity: 'medium', where: 'column risk' });
    expect(by('missing-values')?.message).toContain('2 of 500');
    expect(JSON.stringify(r.findings)).not.toContain('secret');
  });

  it('finds exact duplicates and near-identical rows with different labels, by line', () => {
    const data = rows(1000, 5);
    data.push([...(data[3] as number[])]); // line 1002: an exact copy
    const flipped = [...(data[7] as number[])];
    flipped[6] = 1 - (flipped[6] as number); // line 1003: row 7 (line 9) with its label flipped
    data.push(flipped);
    const r = check(profile, data);
    expect(r.duplicates.exact).toBe(1);
    expect(r.duplicates.nearDuplicates).toBe(2);
    expect(r.findings.find((f) => f.rule === 'data/near-duplicates')?.severity).toBe('low');
    expect(r.findings.find((f) => f.rule === 'data/duplicate-rows')?.message).toContain('line 1002');
    expect(r.conflictingLines).toEqual([9, 1003]);
    // A copy whose label is not a class is an invalid label, not a conflict.
    const v = new BatchValidator(profile);
    v.columns([...COLUMNS, 'label']);
    v.row([...(data[3] as number[]).slice(0, 6), 'fraud?'], 2);
    v.row(data[3] as number[], 3);
    const bad = v.finish('b', '');
    expect(bad.conflictingLines).toEqual([]);
    expect(bad.findings.find((f) => f.rule === 'data/invalid-label')?.severity).toBe('high');
    expect(r.findings.find((f) => f.rule === 'data/conflicting-labels')?.severity).toBe('medium');
  });

  it('does not flag the repeats that low-dimensional data makes by chance (all-categorical features)', () => {
    const b = new ProfileBuilder(['hour', 'flag']);
    for (const row of rows(20_000, 21)) b.add([row[1] as number, row[3] as number], row[6]);
    const small = b.finish({ source: 't', sha256: '0'.repeat(64), bytes: 0, labelColumn: 'label', createdAt: '', tool: 'test' });
    const v = new BatchValidator(small);
    v.columns(['hour', 'flag', 'label']);
    for (const [i, row] of rows(2000, 22).entries()) v.row([row[1], row[3], row[6]], i + 2);
    const r = v.finish('b', '');
    expect(r.duplicates.exact).toBeGreaterThan(1500); // 48 possible rows
    expect(r.findings.find((f) => f.rule === 'data/duplicate-rows')?.severity).toBe('info');
    expect(r.findings.find((f) => f.rule === 'data/conflicting-labels')?.severity).toBe('info');
    expect(atLeastMedium(r)).toEqual([]);
  });

  it('ranks label issues by confident learning from probability columns, by line', () => {
    const data = rows(2000, 31);
    // A model's out-of-sample probabilities: confident in the true label; 40 labels then flipped.
    const withProbs = data.map((row, i) => {
      const y = row[6] as number;
      const p1 = y === 1 ? 0.9 : 0.1;
      return [...row.slice(0, 6), i % 50 === 0 ? 1 - y : y, 1 - p1, p1];
    });
    const v = new BatchValidator(profile, { probabilityColumns: ['p0', 'p1'] });
    v.columns([...COLUMNS, 'label', 'p0', 'p1']);
    for (const [i, row] of withProbs.entries()) v.row(row, i + 2);
    const r = v.finish('b', '');
    const flippedLines = withProbs.flatMap((_, i) => (i % 50 === 0 ? [i + 2] : []));
    expect([...(r.labelIssues?.lines ?? [])].sort((a, b) => a - b)).toEqual(flippedLines);
    expect(r.findings.find((f) => f.rule === 'data/label-issues')).toMatchObject({ severity: 'info' });
    expect(r.findings.some((f) => f.rule === 'data/unknown-column')).toBe(false);
    expect(() => new BatchValidator(profile, { probabilityColumns: ['p0', 'p1'] }).columns([...COLUMNS, 'label', 'p0'])).toThrow(/no probability column "p1"/);
  });

  it('flags a shift of label shares, and values far outside the profiled range', () => {
    const data = rows(3000, 9).map((row, i) => (i % 3 === 0 ? [...row.slice(0, 6), 1] : row));
    data.push(...Array.from({ length: 30 }, (_, i) => [1e7 + i, 3, 0.2, 0, 5, 100, 0]));
    const r = check(profile, data);
    expect(r.findings.find((f) => f.rule === 'data/label-shift')?.severity).toMatch(/medium|high/);
    expect(r.findings.find((f) => f.rule === 'data/out-of-range')).toMatchObject({ where: 'column amount' });
  });
});

describe('validateFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-validate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('streams a CSV and a JSON Lines file to the same report', async () => {
    const data = rows(800, 11, { amountScale: 2 });
    const csv = join(dir, 'batch.csv');
    writeFileSync(csv, `${[...COLUMNS, 'label'].join(',')}\n${data.map((r) => r.join(',')).join('\n')}\n`);
    const jsonl = join(dir, 'batch.jsonl');
    writeFileSync(
      jsonl,
      `${data.map((r) => JSON.stringify({ amount: r[0], hour: r[1], risk: r[2], flag: r[3], distance: r[4], age: r[5], label: r[6] })).join('\n')}\n`,
    );
    const a = await validateFile(csv, profile);
    const b = await validateFile(jsonl, profile);
    expect(a.rows).toBe(800);
    expect(a.findings.map((f) => [f.rule, f.where])).toEqual(b.findings.map((f) => [f.rule, f.where]));
    expect(a.findings.some((f) => f.rule === 'data/drift' && f.where === 'column amount')).toBe(true);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
