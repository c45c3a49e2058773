/**
 * The supply-chain regression corpus (test/helpers/model-corpus.ts) through the scanner and the
 * verified loader: every crafted file is refused before onnxruntime sees it, clean files pass.
 * `verifyModelSource` is plain JavaScript (it never imports onnxruntime), so a refusal there is a
 * refusal before the runtime; the loader is then shown to refuse with the same error.
 */
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelPath } from '@bulwark/models';
import { loadOnnxClassifier, verifyModelSource } from '@bulwark/onnx';
import { atLeast, type Finding, type Severity, scanFile, scanPath } from '@bulwark/supply-chain';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, type CorpusCase, graph, matmulModel, model, node } from '../helpers/model-corpus.js';

let dir: string;
let cases: CorpusCase[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-corpus-'));
  cases = buildCorpus(dir, readFileSync(modelPath('fraud')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const worst = (findings: readonly Finding[]): Severity | undefined =>
  findings.reduce<Severity | undefined>((w, f) => (w === undefined || atLeast(f.severity, w) ? f.severity : w), undefined);

const refusal = (fn: () => unknown): { code?: string; message: string } | undefined => {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  return undefined;
};

describe('the regression corpus', () => {
  it('has every case the issue names', () => {
    const names = cases.map((c) => c.name);
    for (const n of [
      'external-dotdot',
      'external-nested-dotdot',
      'external-absolute',
      'external-symlink',
      'external-hardlink',
      'external-sparse-initializer',
      'external-constant-attribute',
      'external-in-subgraph',
      'external-negative-offset',
      'external-petabyte-offset',
      'external-petabyte-length',
      'unknown-domain',
      'oversized-nesting',
      'truncated',
      'not-onnx',
    ])
      expect(names).toContain(`onnx/${n}`);
    expect(cases.filter((c) => c.name.startsWith('pickle/') && c.expect === 'reject').length).toBeGreaterThanOrEqual(6);
    expect(cases.filter((c) => c.name.startsWith('safetensors/') && c.expect === 'reject').length).toBe(4);
    expect(cases.filter((c) => c.expect === 'accept').length).toBe(5);
  });

  it('the scanner reports every crafted file with its rule, and nothing at medium or above on clean ones', () => {
    for (const c of cases) {
      const { findings } = scanFile(c.path);
      const w = worst(findings);
      if (c.expect === 'accept') {
        expect(
          findings.filter((f) => atLeast(f.severity, 'medium')),
          c.name,
        ).toEqual([]);
        continue;
      }
      // External data inside the model's folder is legitimate in big models: the scanner says so
      // at medium; the loader still refuses it unless allowed (below).
      expect(w !== undefined && atLeast(w, c.name === 'onnx/external-inside-folder' ? 'medium' : 'high'), `${c.name}: ${JSON.stringify(findings)}`).toBe(true);
      if (c.rule)
        expect(
          findings.map((f) => f.rule),
          c.name,
        ).toContain(c.rule);
    }
  });

  it('the verified loader refuses every crafted ONNX file before onnxruntime, with model_rejected naming the problem', async () => {
    for (const c of cases.filter((c) => c.name.startsWith('onnx/'))) {
      const before = refusal(() => verifyModelSource(c.path));
      if (c.expect === 'accept') {
        expect(before, c.name).toBeUndefined();
        const model = await loadOnnxClassifier(c.path, { scores: 'probabilities' });
        await model.close();
        continue;
      }
      expect(before?.code, `${c.name}: ${before?.message}`).toBe('model_rejected');
      // External data is refused outright by default; allowed, the case's own check refuses it.
      const allowed = refusal(() => verifyModelSource(c.path, { allowExternalData: true }));
      if (c.name === 'onnx/external-inside-folder') expect(allowed, c.name).toBeUndefined();
      else {
        expect(allowed?.code, c.name).toBe('model_rejected');
        if (c.rule) expect(allowed?.message, c.name).toContain(c.rule);
      }
      const load = await loadOnnxClassifier(c.path).then(
        () => undefined,
        (err: { code?: string; message: string }) => err,
      );
      expect(load?.code, c.name).toBe('model_rejected');
      expect(load?.message).toBe(before?.message);
      // The message names the rule, never the secret's bytes.
      expect(load?.message).not.toMatch(/13|37/);
    }
  });

  it('the corpus is hostile for real: onnxruntime alone, by path, loads traversal and link cases and serves the outside file as weights', async () => {
    // Without the walker these models read a file outside their folder; the secret [13, 37, 42, 7]
    // comes back as Y = X · W. (Shows the tests above would fail on a loader that trusted the file.)
    const leaked: string[] = [];
    for (const name of ['external-dotdot', 'external-nested-dotdot', 'external-absolute', 'external-symlink', 'external-hardlink']) {
      const c = cases.find((x) => x.name === `onnx/${name}`) as CorpusCase;
      const session = await ort.InferenceSession.create(c.path);
      const out = await session.run({ X: new ort.Tensor('float32', new Float32Array([1, 0, 0, 0]), [1, 4]) });
      const y = [...(out.Y?.data as Float32Array)];
      await session.release();
      if (y[0] === 13 && y[1] === 37) leaked.push(name);
    }
    expect(leaked).toEqual(['external-dotdot', 'external-nested-dotdot', 'external-absolute', 'external-symlink', 'external-hardlink']);
  });

  it('a folder scan reports the corpus file by file, symlinks reported and not followed', () => {
    const report = scanPath(dir);
    expect(report.files.length).toBeGreaterThanOrEqual(cases.length);
    const symlink = report.findings.find((f) => f.rule === 'scan/symlink');
    expect(symlink?.file).toContain('external-symlink');
  });
});

describe('verified loading options', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'bulwark-load-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('external data inside the model folder loads only when allowed, from the bytes read', async () => {
    const folder = join(work, 'ext');
    mkdirSync(folder);
    writeFileSync(join(folder, 'weights.bin'), Buffer.from(new Float32Array([2, 0, 0, 3, 0, 0, 0, 0]).buffer));
    writeFileSync(join(folder, 'model.onnx'), matmulModel({ external: { location: 'weights.bin' } }));
    expect(refusal(() => verifyModelSource(join(folder, 'model.onnx')))?.message).toContain('onnx/external-data');
    const v = verifyModelSource(join(folder, 'model.onnx'), { allowExternalData: true });
    expect(v.externalData.map((f) => [f.location, f.bytes.length])).toEqual([['weights.bin', 32]]);
    const session = await ort.InferenceSession.create(v.bytes, { externalData: v.externalData.map((f) => ({ path: f.location, data: f.bytes })) });
    const out = await session.run({ X: new ort.Tensor('float32', new Float32Array([1, 1, 0, 0]), [1, 4]) });
    expect([...(out.Y?.data as Float32Array)]).toEqual([2, 3]);
    await session.release();
    // Even allowed, a file outside the folder stays refused.
    writeFileSync(join(folder, 'escape.onnx'), matmulModel({ external: { location: '../outside.bin' } }));
    writeFileSync(join(work, 'outside.bin'), Buffer.alloc(32));
    expect(refusal(() => verifyModelSource(join(folder, 'escape.onnx'), { allowExternalData: true }))?.message).toContain('onnx/external-data-traversal');
  });

  it('a symlinked or hard-linked model file is refused unless allowed; the size is bounded; a pinned digest is checked on the same bytes', () => {
    const real = join(work, 'real.onnx');
    writeFileSync(real, matmulModel());
    symlinkSync(real, join(work, 'link.onnx'));
    expect(refusal(() => verifyModelSource(join(work, 'link.onnx')))?.message).toMatch(/symbolic link/);
    expect(refusal(() => verifyModelSource(join(work, 'link.onnx'), { allowSymlinks: true }))).toBeUndefined();
    linkSync(real, join(work, 'hard.onnx'));
    expect(refusal(() => verifyModelSource(join(work, 'hard.onnx')))?.message).toMatch(/hard links/);
    expect(refusal(() => verifyModelSource(join(work, 'hard.onnx'), { allowHardLinks: true }))).toBeUndefined();
    rmSync(join(work, 'hard.onnx'));
    expect(refusal(() => verifyModelSource(real, { maxBytes: 10 }))?.message).toMatch(/bytes/);
    const digest = verifyModelSource(real).digest;
    expect(refusal(() => verifyModelSource(real, { expectedSha256: digest }))).toBeUndefined();
    expect(refusal(() => verifyModelSource(real, { expectedSha256: '0'.repeat(64) }))?.message).toContain('digest mismatch');
  });

  it('operator domains are allow-listed with opset ranges; a custom domain can be allowed explicitly', () => {
    const c = cases.find((x) => x.name === 'onnx/unknown-domain') as CorpusCase;
    expect(refusal(() => verifyModelSource(c.path))?.message).toContain('com.evil.customops');
    expect(refusal(() => verifyModelSource(c.path, { domains: { '': [1, 23], 'com.evil.customops': [1, 1] } }))).toBeUndefined();
  });

  it('the canary loads the model in a child process first; a model onnxruntime refuses is refused there and the parent lives on', async () => {
    const ok = await loadOnnxClassifier(modelPath('fraud'), { canary: true });
    expect((await ok.predict([[120, 3, 0.4, 12, 1, 0, 0, 400]]))[0]?.label).toBeTypeOf('number');
    await ok.close();
    // Passes the walker (an allowed op in an allowed domain) but onnxruntime cannot build it.
    const broken = join(work, 'broken.onnx');
    writeFileSync(broken, model(graph({ nodes: [node('MatMul', ['X', 'missing'], ['Y'])] })));
    expect(refusal(() => verifyModelSource(broken))).toBeUndefined();
    const err = await loadOnnxClassifier(broken, { canary: true }).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(err?.code).toBe('model_rejected');
    expect(err?.message).toMatch(/canary process/);
  });
});
