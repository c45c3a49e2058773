/**
 * Data profiles and the per-row guards on the shipped models: provenance ties a profile to its
 * file; the ood guard flags at most its target share of benign held-out rows (real onnxruntime
 * inference on the 4,000 fraud and 450 digits test rows) and most synthetic probes; validate-input
 * names the feature and the rule, never the value.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  anomalyRateExceeded,
  type BulwarkError,
  createBulwark,
  isBulwarkError,
  isConfigError,
  loadProfile,
  MemoryStore,
  ood,
  profileFile,
  RowScorer,
  riskKey,
  validateInput,
} from '@bulwark/core';
import { digitsData, fraudData, modelInfo, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fraudCsv = join(root, 'packages/models/data/fraud-train.csv');
const fraudProfile = join(root, 'policies/profiles/fraud.json');
const digitsProfile = join(root, 'policies/profiles/digits.json');

/** Deterministic uniform draws (test data, not security). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('bulwark profile', () => {
  it('streams a CSV into statistics, a calibrated scorer and provenance that names the exact bytes', async () => {
    const p = await profileFile(fraudCsv, { tool: 'test' });
    expect(p.provenance).toMatchObject({ source: 'fraud-train.csv', rows: 20000, labelColumn: 'label', tool: 'test' });
    expect(p.provenance.sha256).toBe(createHash('sha256').update(readFileSync(fraudCsv)).digest('hex'));
    expect(p.provenance.columns).toEqual(modelInfo('fraud').features);
    expect(Object.values(p.labels ?? {}).reduce((a, b) => a + b, 0)).toBe(20000);
    const byName = Object.fromEntries(p.features.map((f) => [f.name, f]));
    expect(byName.card_present).toMatchObject({ integer: true, categories: [0, 1], min: 0, max: 1 });
    expect(byName.hour?.categories).toBeNull(); // 24 values: more than the 16 listed as categories
    expect(byName.amount_usd).toMatchObject({ integer: false, categories: null });
    // The shipped profile is this file's profile (everything but the time it was written).
    const shipped = loadProfile(fraudProfile);
    expect({ ...shipped.provenance, createdAt: '', tool: '' }).toEqual({ ...p.provenance, createdAt: '', tool: '' });
    // Thresholds fall as the allowed rate rises; too few rows gives null, not a guess.
    const t = p.calibration.thresholds.mahalanobis;
    expect(t['0.001']).toBeGreaterThan(t['0.01'] as number);
    expect(t['0.01']).toBeGreaterThan(t['0.1'] as number);
    expect(loadProfile(digitsProfile).calibration.thresholds.mahalanobis['0.001']).toBeNull();
  });

  it('reads JSON Lines, and names the line and column of a malformed row instead of skipping it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-'));
    const rows = Array.from({ length: 60 }, (_, i) => JSON.stringify({ x: [i, i % 3, (i * 7) % 11], label: i % 2 }));
    writeFileSync(join(dir, 'ok.jsonl'), `${rows.join('\n')}\n`);
    const p = await profileFile(join(dir, 'ok.jsonl'));
    expect(p.features.map((f) => f.name)).toEqual(['x0', 'x1', 'x2']);
    expect(p.features[1]?.categories).toEqual([0, 1, 2]);
    writeFileSync(join(dir, 'bad.csv'), `a,b,label\n${'1,2,0\n'.repeat(10)}1,oops,1\n`);
    await expect(profileFile(join(dir, 'bad.csv'))).rejects.toThrow('line 12, column "b": not a finite number');
    writeFileSync(join(dir, 'few.csv'), `a,b\n${'1,2\n'.repeat(10)}`);
    await expect(profileFile(join(dir, 'few.csv'))).rejects.toThrow('at least 50 rows');
  });

  it('bulwark profile writes the profile and reports provenance; a malformed row is a usage error naming its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-cli-'));
    const wine = join(root, 'test/fixtures/wine/wine.csv');
    const ok = spawnSync(process.execPath, [BIN, 'profile', wine, '--out', join(dir, 'wine.json')], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/178 rows, 13 features, 3 labels; sha256 [0-9a-f]{16}…/);
    expect(loadProfile(join(dir, 'wine.json')).provenance).toMatchObject({ source: 'wine.csv', rows: 178, tool: expect.stringMatching(/^@bulwark\/cli /) });
    writeFileSync(join(dir, 'bad.csv'), `a,b\n${'1,2\n'.repeat(60)}1\n`);
    const bad = spawnSync(process.execPath, [BIN, 'profile', join(dir, 'bad.csv'), '--out', join(dir, 'bad.json')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('line 62: 1 columns, the header has 2');
    expect(spawnSync(process.execPath, [BIN, 'profile', wine], { encoding: 'utf8' }).stderr).toContain('--out is required');
  });

  it('refuses a malformed profile with a ConfigError naming the field', () => {
    const p = JSON.parse(readFileSync(fraudProfile, 'utf8'));
    p.scorer.precision[2] = [1, 2];
    let err: unknown;
    try {
      loadProfile(p);
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err) && err.issues.map((i) => i.path)).toEqual(['scorer.precision[2]']);
  });
});

describe('ood guard', () => {
  for (const [name, data, profile] of [
    ['fraud', () => fraudData().test.x, fraudProfile],
    ['digits', () => digitsData().test.x, digitsProfile],
  ] as const) {
    it(`${name}: flags at most 1% of benign held-out rows at targetFpr 0.01, and most uniform probes in the feature box`, async () => {
      const model = await loadOnnxClassifier(modelPath(name));
      const benign = data();
      const p = loadProfile(profile);
      const flagged = async (rows: number[][]) => {
        const decisions: string[] = [];
        const bulwark = createBulwark({
          model: { name, features: p.features.length },
          guards: [ood({ profile, action: 'flag' })],
          onDecision: (d) => {
            if (d.code === 'anomalous_input') decisions.push(d.code);
          },
        });
        const predict = bulwark.wrap((r: number[][]) => model.predict(r));
        let n = 0;
        for (const row of rows) {
          decisions.length = 0;
          await predict([row], { principal: 'analyst' });
          if (decisions.length > 0) n++;
        }
        return n / rows.length;
      };
      const fpr = await flagged(benign);
      expect(fpr).toBeLessThanOrEqual(0.01);
      const rnd = lcg(7);
      const probes = Array.from({ length: 300 }, () => p.features.map((f) => f.min + (f.max - f.min) * rnd()));
      expect(await flagged(probes)).toBeGreaterThan(0.8);
      await model.close?.();
    });
  }

  it('deny refuses with anomalous_input and the row, degrade answers that row with the label only, both raise the risk signal', async () => {
    const model = await loadOnnxClassifier(modelPath('fraud'));
    const benign = fraudData().test.x[0] as number[];
    const crafted = [42, 13, 0.2, 5, 0, 1, 0, 1e6];
    const deny = createBulwark({ guards: [ood({ profile: fraudProfile, action: 'deny' })] }).wrap((r: number[][]) => model.predict(r));
    const err = await deny([benign, crafted], { principal: 'a' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && { code: err.code, status: err.status, path: err.path }).toEqual({ code: 'anomalous_input', status: 422, path: 'inputs[1]' });
    expect((err as BulwarkError).message).not.toContain('1000000');
    const seen: (number | undefined)[] = [];
    const degrade = createBulwark({
      guards: [
        ood({ profile: fraudProfile }),
        { name: 'risk-reader', signals: { reads: [riskKey] }, beforeInference: (ctx) => void seen.push(ctx.get(riskKey)) },
      ],
    }).wrap((r: number[][]) => model.predict(r));
    const out = (await degrade([benign, crafted], { principal: 'a' })) as { label: number; scores?: number[] }[];
    expect(out[0]?.scores).toHaveLength(2);
    expect(out[1]).toEqual({ label: expect.any(Number) });
    expect(seen[0]).toBeGreaterThanOrEqual(0.5);
    await model.close?.();
  });

  it('callerRate: a paced stream of probes is refused after a handful of rows however slowly it comes, an honest heavy caller never', async () => {
    const model = await loadOnnxClassifier(modelPath('fraud'));
    // The bound: a caller with 3,000 rows at 1% must show more than ~64 anomalous rows (α = 1e-6).
    expect(anomalyRateExceeded(63, 3000, 0.01, 1e-6)).toBe(false);
    expect(anomalyRateExceeded(65, 3000, 0.01, 1e-6)).toBe(true);
    let now = Date.UTC(2026, 0, 5);
    const store = new MemoryStore({ now: () => now });
    const guarded = (o: Parameters<typeof ood>[0]) => {
      const codes: string[] = [];
      const predict = createBulwark({ guards: [ood(o, { stores: { memory: store } })], onDecision: (d) => void codes.push(d.code) }).wrap((r: number[][]) =>
        model.predict(r),
      );
      return { predict, codes };
    };
    const withRate = guarded({ profile: fraudProfile, callerRate: {} });
    const p = loadProfile(fraudProfile);
    const rnd = lcg(11);
    // One uniform probe every 20 minutes: risk points would have decayed between them.
    let refusedAt: number | undefined;
    for (let i = 1; i <= 40 && refusedAt === undefined; i++) {
      now += 20 * 60_000;
      const probe = p.features.map((f) => f.min + (f.max - f.min) * rnd());
      const err = await withRate.predict([probe], { principal: 'slow-prober' }).catch((e: unknown) => e);
      if (isBulwarkError(err) && err.code === 'attack_suspected') refusedAt = i;
    }
    expect(refusedAt).toBeDefined();
    expect(refusedAt as number).toBeLessThanOrEqual(20);
    // Without callerRate the same probes are answered (label only) and never refused.
    const without = guarded({ profile: fraudProfile });
    for (let i = 0; i < 40; i++) await without.predict([p.features.map((f) => f.min + (f.max - f.min) * rnd())], { principal: 'slow-prober' });
    expect(without.codes).not.toContain('attack_suspected');
    // An honest heavy caller: 4,000 held-out transactions, a minute apart, none refused.
    for (const row of fraudData().test.x as number[][]) {
      now += 60_000;
      await withRate.predict([row], { principal: 'heavy-analyst' });
    }
    expect(withRate.codes.filter((c) => c === 'attack_suspected')).toHaveLength(1); // the prober's refusal only
    await model.close?.();
  });

  it('is a configuration error when the profile does not fit the model or cannot calibrate the rate', () => {
    const errs: unknown[] = [];
    for (const make of [
      () => ood({ profile: fraudProfile }, { model: { name: 'digits', features: 64 } }),
      () =>
        ood.create(
          { profile: digitsProfile, scores: ['mahalanobis'], targetFpr: 0.001, action: 'flag', store: 'memory', onStoreError: 'deny', storeTimeoutMs: 200 },
          { baseDir: root } as never,
        ),
      () =>
        ood.create(
          { profile: digitsProfile, scores: ['mahalanobis'], targetFpr: 0.03, action: 'flag', store: 'memory', onStoreError: 'deny', storeTimeoutMs: 200 },
          { baseDir: root } as never,
        ),
    ])
      try {
        make();
      } catch (e) {
        errs.push(e);
      }
    expect(errs.map((e) => isConfigError(e) && e.issues[0]?.rule)).toEqual([
      "must describe the model's 64 input features",
      expect.stringContaining('too few rows (1347)'),
      expect.stringContaining('must be one of'),
    ]);
  });

  it('scores a row in O(d²/2): the compiled scorer agrees with a direct Mahalanobis computation, whatever d', () => {
    const direct = (sc: { mean: readonly number[]; scale: readonly number[]; precision: readonly (readonly number[])[] }, x: number[]): number => {
      const v = x.map((xi, j) => (xi - (sc.mean[j] as number)) / (sc.scale[j] as number));
      let q = 0;
      for (let i = 0; i < v.length; i++) for (let j = 0; j < v.length; j++) q += (v[i] as number) * (sc.precision[i]?.[j] as number) * (v[j] as number);
      return Math.sqrt(q);
    };
    // The shipped profiles (d = 8 and 64: whole blocks of four rows).
    for (const [file, rows] of [
      [fraudProfile, fraudData().test.x],
      [digitsProfile, digitsData().test.x],
    ] as const) {
      const sc = loadProfile(file).scorer;
      const s = new RowScorer(sc);
      for (const x of rows.slice(0, 20) as number[][]) expect(s.mahalanobis(x)).toBeCloseTo(direct(sc, x), 9);
    }
    // Sizes that leave a partial block (the padding must add nothing): a random symmetric positive
    // definite precision A·Aᵀ + I, rows drawn at random.
    const rand = lcg(11);
    for (const d of [1, 2, 3, 5, 6, 7, 9, 13]) {
      const a = Array.from({ length: d }, () => Array.from({ length: d }, () => rand() * 2 - 1));
      const precision = a.map((ai, i) => a.map((aj, j) => ai.reduce((t, aik, k) => t + aik * (aj[k] as number), 0) + (i === j ? 1 : 0)));
      const sc = {
        center: Array<number>(d).fill(0),
        spread: Array<number>(d).fill(1),
        mean: Array.from({ length: d }, () => rand()),
        scale: Array.from({ length: d }, () => 0.5 + rand()),
        precision,
      };
      const s = new RowScorer(sc);
      for (let n = 0; n < 5; n++) {
        const x = Array.from({ length: d }, () => rand() * 6 - 3);
        expect(s.mahalanobis(x)).toBeCloseTo(direct(sc, x), 9);
      }
    }
  });
});

describe('validate-input guard', () => {
  it('names the row, the feature and the rule broken, with the request path, never the value', async () => {
    const predict = createBulwark({ guards: [validateInput({ profile: fraudProfile })] }).wrap((r: number[][]) => r.map(() => ({ label: 0 })));
    const ok = fraudData().test.x.slice(0, 50) as number[][];
    expect(await predict(ok, { principal: 'a' })).toHaveLength(50);
    const cases: [number[], string, string][] = [
      [[-5, 13, 0.2, 5, 0, 1, 0, 100], 'row 0, feature "amount_usd": below the training range', 'inputs[0][0]'],
      [[42, 13.5, 0.2, 5, 0, 1, 0, 100], 'row 0, feature "hour": must be an integer', 'inputs[0][1]'],
      [[42, 13, 0.2, 5, 0, 2, 0, 100], 'row 0, feature "card_present": above the training range', 'inputs[0][5]'],
      [[42, 13, 0.2, 5, 0, 1, 0, 1e7], 'row 0, feature "account_age_days": above the training range', 'inputs[0][7]'],
    ];
    for (const [row, message, path] of cases) {
      const err = await predict([row], { principal: 'a' }).catch((e: unknown) => e);
      expect(isBulwarkError(err) && { code: err.code, message: err.message, path: err.path }).toEqual({ code: 'invalid_input', message, path });
    }
    const wrongWidth = await predict([[1, 2, 3]], { principal: 'a' }).catch((e: unknown) => e);
    expect(isBulwarkError(wrongWidth) && wrongWidth.message).toBe('row 0 must have 8 features');
  });
});
