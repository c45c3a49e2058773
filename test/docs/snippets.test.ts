/**
 * The docs' own examples run: every policy in README.md and docs/*.md validates (plugins loaded),
 * every gates file parses, every TypeScript block type-checks against the workspace packages, and
 * every pinned model digest is a real one. A block fenced as `ts sketch` / `js sketch` is an
 * outline (it elides code with …) and is left out, on purpose and visibly.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGates } from '@bulwark/attack-lab';
import { resolvePolicy } from '@bulwark/core';
import { modelInfo } from '@bulwark/models';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Block {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly info: string;
  readonly code: string;
}

function blocks(file: string): Block[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(\S*)\s*(.*)$/.exec(lines[i] as string);
    if (!m) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
    out.push({ file, line: start + 1, lang: m[1] ?? '', info: m[2] ?? '', code: body.join('\n') });
  }
  return out;
}

const all = docs.flatMap(blocks);
const isPolicy = (b: Block) => b.lang === 'yaml' && /^(version|guards|stores):/m.test(b.code);

describe('docs: policies validate', () => {
  // A folder where the policy example's plugin exists: it re-exports the custom-guard example's guard.
  const base = mkdtempSync(join(tmpdir(), 'bulwark-docs-'));
  mkdirSync(join(base, 'guards'));
  writeFileSync(join(base, 'guards/feature-range.mjs'), `export * from ${JSON.stringify(join(root, 'examples/custom-guard/src/feature-range.ts'))};\n`);
  const policies = all.filter(isPolicy);
  it('finds them', () => expect(policies.length).toBeGreaterThanOrEqual(2));
  it.each(policies.map((b) => [`${b.file}:${b.line}`, b]))('%s', async (_where, b) => {
    const doc = parseYaml(b.code) as Record<string, unknown>;
    // A fragment without a version is shown as part of a policy file.
    await resolvePolicy({ version: 1, ...doc }, { baseDir: base, source: `${b.file}:${b.line}` });
  });
});

describe('docs: gates files parse', () => {
  const gates = all.filter((b) => b.lang === 'yaml' && /gates\.ya?ml/.test(b.code));
  it.each(gates.map((b) => [`${b.file}:${b.line}`, b]))('%s', (_where, b) => {
    expect(() => parseGates(parseYaml(b.code), `${b.file}:${b.line}`)).not.toThrow();
  });
});

describe('docs: pinned model digests are real', () => {
  it("every expectedSha256 / --model-sha256 in the docs is a shipped model's full sha256", () => {
    const real = new Set(['fraud', 'digits', 'leaky', 'fraud-hardened'].map((m) => modelInfo(m as never).sha256));
    for (const file of docs) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(/(?:expectedSha256:\s*'|--model-sha256\s+)([0-9a-f…]+)/g)) expect(real.has(m[1] as string), `${file}: ${m[0]}`).toBe(true);
    }
  });
});

describe('docs: TypeScript examples type-check', () => {
  const ts = all.filter((b) => b.lang === 'ts' && !b.info.includes('sketch'));
  it('finds them, and every one compiles against the packages', () => {
    expect(ts.length).toBeGreaterThanOrEqual(6);
    // Inside the repository, so the workspace packages resolve.
    const dir = join(root, 'test/docs/.snippets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // What the snippets leave to the reader's application: declared, not invented.
    const preamble = [
      'export {};',
      "declare const model: import('@bulwark/onnx').OnnxClassifier;",
      "declare const classifier: import('@bulwark/onnx').OnnxClassifier;",
      "declare const app: import('express').Express & import('hono').Hono;",
      "declare const guarded: import('@bulwark/core').PredictGuarded;",
      "declare const predict: import('@bulwark/core').PredictGuarded;",
      "declare const apiKeys: import('@bulwark/core').ApiKeyEntry[];",
      'declare const rows: number[][];',
      'declare const trainRows: number[][];',
      'declare const trainLabels: number[];',
      "declare const MyStore: new () => import('@bulwark/core').BudgetStore & import('@bulwark/core').DetectorStore;",
      'declare const describe: (name: string, fn: () => void) => void;',
      'declare const it: (name: string, fn: () => unknown) => void;',
      "declare const members: import('@bulwark/attack-lab').Dataset;",
      "declare const nonMembers: import('@bulwark/attack-lab').Dataset;",
      "declare const population: import('@bulwark/attack-lab').Dataset;",
      "declare const guardedPredict: import('@bulwark/core').PredictGuarded;",
    ].join('\n');
    const names: string[] = [];
    ts.forEach((b, i) => {
      const name = `${b.file.replace(/[/.]/g, '_')}_${b.line}_${i}.ts`;
      names.push(name);
      // The preamble declares only what the snippet does not declare itself.
      const own = new Set([...b.code.matchAll(/\b(?:const|let|class|function)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]));
      const lines = preamble.split('\n').filter((l) => ![...l.matchAll(/declare (?:const|class) ([A-Za-z_$][\w$]*)/g)].some((m) => own.has(m[1])));
      writeFileSync(join(dir, name), `${lines.join('\n')}\n// ${b.file}:${b.line}\n${b.code}\n`);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          allowImportingTsExtensions: true,
        },
        files: names,
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout);
    }
    rmSync(dir, { recursive: true, force: true });
    expect(output).toBe('');
  });
});
