/**
 * `bulwark lineage` and `bulwark verify --lineage` as a user runs them, on the shipped fraud data,
 * its profile and its model: the chain verifies, and one changed byte in the data, the profile or
 * the model (of this version or of its parent) fails it, naming the file.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelPath } from '@bulwark/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fraudRows, toCsv } from '../../scripts/lib/fraud-gen.js';
import { BIN } from '../helpers/cli.js';

const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
let work: string;
const at = (p: string) => join(work, p);

function flipByte(path: string): () => void {
  const original = readFileSync(path);
  const changed = Buffer.from(original);
  const i = Math.floor(changed.length / 2);
  changed[i] = (changed[i] as number) ^ 1;
  writeFileSync(path, changed);
  return () => writeFileSync(path, original);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bulwark-lineage-cli-'));
  mkdirSync(at('v1'));
  mkdirSync(at('v2'));
  copyFileSync('packages/models/data/fraud-train.csv', at('v1/fraud-train.csv'));
  copyFileSync('policies/profiles/fraud.json', at('v1/fraud.json'));
  copyFileSync(modelPath('fraud'), at('v1/fraud.onnx'));
  writeFileSync(at('v2/extra.csv'), toCsv(fraudRows(500, 3)));
  expect(run('keygen', '--out', at('signer')).status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bulwark lineage / verify --lineage', () => {
  it('signs a version with its profile and model, then a derived version; the chain verifies', () => {
    const v1 = run(
      'lineage',
      at('v1/fraud-train.csv'),
      '--profile',
      at('v1/fraud.json'),
      '--model',
      at('v1/fraud.onnx'),
      '--name',
      'fraud-2026-11',
      '--key',
      at('signer.key'),
      '--out',
      at('v1/lineage.json'),
    );
    expect(v1.status, v1.stderr).toBe(0);
    const v2 = run(
      'lineage',
      at('v2/extra.csv'),
      '--parent',
      at('v1/lineage.json'),
      '--transform',
      'appended 500 November rows',
      '--name',
      'fraud-2026-12',
      '--key',
      at('signer.key'),
      '--out',
      at('v2/lineage.json'),
    );
    expect(v2.status, v2.stderr).toBe(0);
    const ok = run('verify', '--lineage', at('v2/lineage.json'), '--key', at('signer.pub'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('fraud-2026-12 ← fraud-2026-11');
  });

  it('fails the chain when one byte of the data, the profile or the model changes, naming it', () => {
    for (const [file, problem] of [
      ['v1/fraud-train.csv', 'fraud-2026-11: data file changed: fraud-train.csv'],
      ['v1/fraud.json', 'fraud-2026-11: profile changed: fraud.json'],
      ['v1/fraud.onnx', 'fraud-2026-11: model changed: fraud.onnx'],
      ['v2/extra.csv', 'fraud-2026-12: data file changed: extra.csv'],
    ]) {
      const restore = flipByte(at(file as string));
      try {
        const r = run('verify', '--lineage', at('v2/lineage.json'), '--key', at('signer.pub'));
        expect(r.status, file).toBe(1);
        expect(r.stderr).toContain(problem);
      } finally {
        restore();
      }
    }
    expect(run('verify', '--lineage', at('v2/lineage.json'), '--key', at('signer.pub')).status).toBe(0);
  });

  it('refuses a profile of other data, another key, and usage errors, with exit codes 2 and 1', () => {
    const r = run('lineage', at('v2/extra.csv'), '--profile', at('v1/fraud.json'), '--key', at('signer.key'), '--out', at('v2/bad.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/computed from data that is not in this version/);
    expect(run('keygen', '--out', at('other')).status).toBe(0);
    const wrong = run('verify', '--lineage', at('v1/lineage.json'), '--key', at('other.pub'));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/another key/);
    expect(run('verify', '--key', at('signer.pub')).status).toBe(2);
    expect(run('lineage', at('v2/extra.csv'), '--key', at('signer.key'), '--out', at('v1/lineage.json')).stderr).toMatch(/exists: not overwritten/);
    expect(run('lineage', at('v2/extra.csv'), '--out', at('v2/x.json')).stderr).toMatch(/--key is required/);
  });
});
