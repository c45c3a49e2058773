/**
 * `bulwark scan | keygen | sign | verify` and `bulwark serve --verify-with`, as a user runs them:
 * real processes, real files, exit codes as documented (0 ok, 1 findings or failed verification,
 * 2 usage error).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactsPath, modelPath } from '@bulwark/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startCli } from '../helpers/cli.js';
import { send } from '../helpers/http.js';
import { buildCorpus, type CorpusCase } from '../helpers/model-corpus.js';

const runIn = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
const run = (...args: string[]) => runIn(process.cwd(), ...args);

let work: string;
let corpus: string;
let cases: CorpusCase[];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bulwark-cli-sc-'));
  corpus = join(work, 'corpus');
  cpSync(artifactsPath(), join(work, 'clean'), { recursive: true });
  mkdirSync(corpus);
  cases = buildCorpus(corpus, readFileSync(modelPath('fraud')));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bulwark scan', () => {
  it('passes the shipped models (exit 0) and fails the corpus at the default --fail-on high (exit 1)', () => {
    const clean = run('scan', join(work, 'clean'));
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/6 files scanned: 0 critical, 0 high, 0 medium/);
    const bad = run('scan', corpus);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('CRITICAL onnx/external-data-traversal');
    expect(bad.stdout).toContain('pickle/code-execution');
    expect(run('scan', corpus, '--fail-on', 'none').status).toBe(0);
    // A single clean file, and a single crafted one.
    expect(run('scan', (cases.find((c) => c.name === 'pickle/benign-data.pkl') as CorpusCase).path).status).toBe(0);
    expect(run('scan', (cases.find((c) => c.name === 'pickle/os-system.pkl') as CorpusCase).path).status).toBe(1);
  });

  it('writes SARIF 2.1.0 a code-scanning tool reads: one result per finding, rules, levels, locations', () => {
    const out = join(work, 'scan.sarif');
    // Run from the folder above the corpus, as CI runs from the repository root: URIs relative to it.
    const r = runIn(work, 'scan', 'corpus', '--format', 'sarif', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/files, \d+ findings \(\d+ at or above high\); report in/);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    const [runOf] = sarif.runs;
    expect(runOf.tool.driver.name).toBe('bulwark');
    const ruleIds = runOf.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(ruleIds).toEqual(expect.arrayContaining(['onnx/external-data-traversal', 'pickle/code-execution', 'safetensors/invalid']));
    const json = JSON.parse(run('scan', corpus, '--format', 'json', '--fail-on', 'none').stdout);
    expect(runOf.results).toHaveLength(json.findings.length);
    for (const res of runOf.results) {
      expect(ruleIds).toContain(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(res.message.text.length).toBeGreaterThan(0);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toMatch(/^corpus\/[\w./-]+$/);
    }
    expect(runOf.results.find((x: { ruleId: string }) => x.ruleId === 'pickle/code-execution').level).toBe('error');
    // Outside the working folder: an absolute file: URL.
    const outside = JSON.parse(run('scan', corpus, '--format', 'sarif', '--fail-on', 'none').stdout);
    expect(outside.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toMatch(/^file:\/\/\//);
  });

  it('usage errors exit 2 and name the problem', () => {
    expect(run('scan').status).toBe(2);
    const f = run('scan', corpus, '--format', 'xml');
    expect(f.status).toBe(2);
    expect(f.stderr).toContain('--format must be text, json or sarif (received xml)');
    expect(run('scan', corpus, '--fail-on', 'severe').stderr).toContain('--fail-on must be one of critical, high, medium, low, info, none');
    const none = run('scan', join(work, 'nothing-here'));
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no such file or folder');
  });
});

describe('bulwark keygen | sign | verify', () => {
  it('round trip: keygen writes a 0600 private key, sign writes model.sig, verify passes; a change fails with the file named (exit 1)', () => {
    const model = join(work, 'signed');
    cpSync(artifactsPath(), model, { recursive: true });
    rmSync(join(model, 'model.sig'));
    const key = join(work, 'team');
    expect(run('keygen', '--out', key).status).toBe(0);
    expect(statSync(`${key}.key`).mode & 0o777).toBe(0o600);
    expect(run('keygen', '--out', key).stderr).toContain('exists: not overwritten');
    const s = run('sign', model, '--key', `${key}.key`);
    expect(s.status).toBe(0);
    expect(s.stdout).toContain(join(model, 'model.sig'));
    const v = run('verify', model, '--key', `${key}.pub`);
    expect(v).toMatchObject({ status: 0 });
    expect(v.stdout).toContain('5 files match the signature');
    writeFileSync(join(model, 'notes.txt'), 'added');
    const bad = run('verify', model, '--key', `${key}.pub`);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('  - not in the signature: notes.txt');
    rmSync(join(model, 'notes.txt'));
    expect(run('keygen', '--out', join(work, 'other'), '--algorithm', 'ed25519').status).toBe(0);
    const wrong = run('verify', model, '--key', join(work, 'other.pub'));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('signed with another key');
    // A private key where a public one is expected, or no key: usage errors.
    expect(run('verify', model).status).toBe(2);
    expect(run('sign', model, '--key', join(work, 'missing.key')).status).toBe(2);
    // The shipped models verify with the shipped key.
    expect(run('verify', artifactsPath(), '--key', join(artifactsPath(), '..', 'keys', 'bulwark-models.pub')).status).toBe(0);
  });
});

describe('bulwark serve --verify-with', () => {
  it('refuses an unsigned or changed model (exit 1, the problem named), serves a signed one', async () => {
    const model = join(work, 'serve-model');
    cpSync(artifactsPath(), model, { recursive: true });
    const pub = join(artifactsPath(), '..', 'keys', 'bulwark-models.pub');
    const server = await startCli(['--model', join(model, 'fraud.onnx'), '--verify-with', pub]);
    const reply = await send(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [[120, 3, 0.4, 12, 1, 0, 0, 400]] }),
    });
    expect(reply.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    writeFileSync(join(model, 'fraud.onnx'), Buffer.concat([readFileSync(join(model, 'fraud.onnx')), Buffer.from([0])]));
    const changed = run('serve', '--model', join(model, 'fraud.onnx'), '--verify-with', pub, '--port', '0');
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain('model_rejected: changed: fraud.onnx');
    rmSync(join(model, 'model.sig'));
    const unsigned = run('serve', '--model', join(model, 'fraud.onnx'), '--verify-with', pub, '--port', '0');
    expect(unsigned.status).toBe(1);
    expect(unsigned.stderr).toContain('model_rejected: the model is not signed (no model.sig)');
    expect(unsigned.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses a crafted model without --verify-with too: verified loading is the default', () => {
    const c = cases.find((x) => x.name === 'onnx/external-dotdot') as CorpusCase;
    const r = run('serve', '--model', c.path, '--port', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('onnx/external-data');
  });
});
