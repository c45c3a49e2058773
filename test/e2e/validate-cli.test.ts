/**
 * `bulwark validate` as a user runs it: real processes on real files, against the shipped fraud
 * profile; exit codes as documented (0 clean, 1 findings at or above --fail-on, 2 usage error).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fraudRows, toCsv } from '../../scripts/lib/fraud-gen.js';
import { BIN } from '../helpers/cli.js';

const PROFILE = join(process.cwd(), 'policies/profiles/fraud.json');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'validate', ...args], { encoding: 'utf8', timeout: 60_000 });

let work: string;
let clean: string;
let shifted: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bulwark-validate-'));
  clean = join(work, 'clean.csv');
  shifted = join(work, 'shifted.csv');
  writeFileSync(clean, toCsv(fraudRows(2000, 1)));
  writeFileSync(shifted, toCsv(fraudRows(2000, 2, { amountScale: 1.5, newMerchantShare: 0.2 })));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bulwark validate', () => {
  it('passes a clean batch (exit 0) and fails a shifted one at the default --fail-on high (exit 1), naming the shifted columns', () => {
    const ok = run(clean, '--profile', PROFILE);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/clean\.csv: 2000 rows .*: 0 critical, 0 high, 0 medium/);
    const bad = run(shifted, '--profile', PROFILE);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/HIGH +data\/out-of-range +column merchant_risk/);
    expect(bad.stdout).toMatch(/data\/drift +column amount_usd/);
    expect(run(shifted, '--profile', PROFILE, '--fail-on', 'none').status).toBe(0);
  });

  it('writes SARIF with data rules and a JSON report with per-feature statistics', () => {
    const out = join(work, 'v.sarif');
    const r = run(shifted, '--profile', PROFILE, '--format', 'sarif', '--out', out, '--fail-on', 'critical');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/bulwark validate: 2000 rows, \d+ findings \(0 at or above critical\); report in/);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0].results as { ruleId: string; level: string }[];
    expect(results.some((x) => x.ruleId === 'data/drift')).toBe(true);
    expect(sarif.runs[0].tool.driver.rules[0].properties.tags).toEqual(['security', 'data-poisoning']);
    const json = JSON.parse(run(shifted, '--profile', PROFILE, '--format', 'json', '--fail-on', 'none').stdout);
    expect(json.rows).toBe(2000);
    expect(json.features.find((f: { name: string }) => f.name === 'amount_usd').psi).toBeGreaterThan(0.1);
  });

  it('answers usage errors with exit 2 and the problem named', () => {
    const cases: [string[], RegExp][] = [
      [[clean], /--profile is required/],
      [[clean, '--profile', join(work, 'nope.json')], /nope\.json/],
      [[join(work, 'missing.csv'), '--profile', PROFILE], /missing\.csv/],
      [[clean, '--profile', PROFILE, '--format', 'xml'], /--format must be text, json or sarif/],
      [[clean, '--profile', PROFILE, '--fail-on', 'severe'], /--fail-on must be one of/],
      [[clean, '--profile', PROFILE, '--alpha', '2'], /--alpha must be a number between 0 and 1/],
      [[clean, '--profile', clean], /must be a JSON profile written by bulwark profile/],
      [[clean, '--profile', PROFILE, '--probabilities', 'p0,p1'], /no probability column "p0" in the header/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/ENOENT|at .*\.js:\d+/);
    }
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, 'amount_usd,hour\n1,2\n3\n');
    const r = run(bad, '--profile', PROFILE);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/line 3: 1 columns, the header has 2/);
  });
});
