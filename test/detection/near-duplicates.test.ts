/**
 * near-duplicates (Blacklight-style) on the shipped digits model with real inference: benign
 * traffic of distinct images is rarely flagged; score-based and HopSkipJump searches are caught
 * within a few queries, on one key or spread over 20; two `bulwark serve` replicas on one Redis
 * catch a stream that alternates between them, which per-process memory stores do not.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTarget, evasionAttack, functionTransport } from '@bulwark/attack-lab';
import { type AnyGuard, createBulwark, type DetectorStore, isBulwarkError, MemoryStore, maskOutput, nearDuplicates } from '@bulwark/core';
import { asyncDetectorStore } from '@bulwark/core/testing';
import { digitsData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier, type OnnxClassifier } from '@bulwark/onnx';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { postJson } from '../helpers/http.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DIGITS = { range: [0, 16], levels: 8, window: 16 };
let digits: OnnxClassifier;
beforeAll(async () => {
  digits = await loadOnnxClassifier(modelPath('digits'));
});
afterAll(async () => {
  await digits.close();
});

const guard = () => nearDuplicates(DIGITS, { model: { name: 'digits', features: 64 }, stores: { memory: new MemoryStore() } });
const benignRows = (): number[][] => [
  ...readFileSync(join(root, 'packages/models/data/digits-train.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(0, 64).map(Number)),
  ...digitsData().test.x,
];

describe('near-duplicates', () => {
  it('flags at most 1% of 1,797 distinct benign images sent by 50 callers', async () => {
    const predict = createBulwark({ guards: [guard()] }).wrap((r: number[][]) => digits.predict(r));
    const rows = benignRows();
    let flagged = 0;
    for (const [i, row] of rows.entries()) {
      const r = await predict([row], { principal: `user-${i % 50}` }).catch((e: unknown) => e);
      if (isBulwarkError(r)) {
        expect(r.code).toBe('attack_suspected');
        flagged++;
      }
    }
    expect(rows.length).toBe(1797);
    expect(flagged / rows.length).toBeLessThanOrEqual(0.01);
  });

  it("answers a caller's exact retry, but matches the same row from another caller, a perturbed copy, and (repeats: match) the retry", async () => {
    const rows = benignRows();
    const row = rows[0] as number[];
    const j = row.findIndex((v) => v < 16);
    const nudged = row.map((v, k) => (k === j ? v + 1 : v));
    const call = (predict: (r: number[][], o: { principal: string }) => Promise<unknown>, r: number[][], who: string) =>
      predict(r, { principal: who }).then(
        () => 'answered',
        (e: unknown) => (isBulwarkError(e) ? e.code : 'error'),
      );
    const answer = createBulwark({ guards: [guard()] }).wrap((r: number[][]) => digits.predict(r));
    expect(await call(answer, [row], 'alice')).toBe('answered');
    expect(await call(answer, [row], 'alice')).toBe('answered'); // her retry
    expect(await call(answer, [[...row]], 'alice')).toBe('answered'); // the same values in a new array
    expect(await call(answer, [row], 'bob')).toBe('attack_suspected'); // the same row, another caller
    expect(await call(answer, [nudged], 'alice')).toBe('attack_suspected'); // not exact: a near duplicate
    // Two copies in one call are not a retry of an earlier call.
    expect(await call(answer, [rows[1] as number[], rows[1] as number[]], 'carol')).toBe('attack_suspected');
    const match = createBulwark({
      guards: [nearDuplicates({ ...DIGITS, repeats: 'match' }, { model: { name: 'digits', features: 64 }, stores: { memory: new MemoryStore() } })],
    }).wrap((r: number[][]) => digits.predict(r));
    expect(await call(match, [row], 'alice')).toBe('answered');
    expect(await call(match, [row], 'alice')).toBe('attack_suspected');
  });

  it('gives the same verdicts through the asynchronous store path (a shared store), calls of hundreds of rows included', async () => {
    const rows = benignRows();
    // 300 rows × 21 tokens over 16 shards: several hundred members a shard, so several store updates a call.
    const batch = rows.slice(0, 300);
    const calls: [number[][], string][] = [
      [batch, 'a'],
      [batch, 'b'],
      [[rows[400] as number[]], 'a'],
      [[rows[400] as number[]], 'a'],
      [[rows[400] as number[]], 'c'],
      [rows.slice(500, 520), 'd'],
    ];
    const run = async (store: DetectorStore) => {
      const predict = createBulwark({
        guards: [nearDuplicates({ ...DIGITS, action: 'flag' }, { model: { name: 'digits', features: 64 }, stores: { memory: store } })],
        onDecision: (d) => codes.push(d.code),
      }).wrap((r: number[][]) => digits.predict(r));
      const codes: string[] = [];
      const flagged: number[] = [];
      for (const [r, who] of calls) {
        codes.length = 0;
        await predict(r, { principal: who });
        flagged.push(codes.filter((c) => c === 'attack_suspected').length);
      }
      return flagged;
    };
    const sync = await run(new MemoryStore());
    expect(await run(asyncDetectorStore(new MemoryStore()))).toEqual(sync);
    expect(sync.slice(1, 5)).toEqual([1, 0, 0, 1]); // the batch again from b; a's retry; the same row from c
  });

  for (const [method, extra] of [
    ['score', [] as AnyGuard[]],
    ['hopskipjump', [maskOutput({ form: 'label' })]],
  ] as const) {
    it(`catches a ${method} search within 10 queries, on one key and over 20 keys; no image is flipped`, async () => {
      const d = digitsData();
      for (const keys of [1, 20]) {
        const predict = createBulwark({ guards: [guard(), ...extra] }).wrap((r: number[][]) => digits.predict(r));
        const target = createTarget('guarded', functionTransport(predict as never), {
          keys: Array.from({ length: keys }, (_, i) => `key-${i}`),
          rotate: 'round-robin',
        });
        const r = await evasionAttack(target, {
          samples: d.test.x.slice(225, 255),
          method,
          norm: 'linf',
          epsilon: 0.25,
          featureScale: new Array(64).fill(16),
          bounds: new Array(64).fill([0, 16]),
          startPool: d.test.x.slice(0, 225),
          seed: 1,
          maxQueriesPerSample: method === 'score' ? 100 : 1000,
        });
        expect(r.stats.detected?.code).toBe('attack_suspected');
        expect(r.stats.detected?.rowsSent).toBeLessThanOrEqual(10);
        expect(r.stats.rowsAnswered).toBeGreaterThan(0); // answered at first: a measurement, not a refusal of everything
        expect(r.successPerWanted.value).toBe(0);
        expect(r.successPerWanted.n).toBe(30);
      }
    });
  }

  it('two bulwark serve replicas on one Redis catch a search alternating between them; per-process stores do not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nd-'));
    const prefix = `test:nd:${Date.now()}:`;
    // A generous store time limit: this is about state shared across replicas, and a replica's first
    // Redis call (connect, load the script) can take longer than the 200 ms default on a loaded machine.
    const guardYaml = (store: string) =>
      `  - use: near-duplicates\n    with: { range: [0, 16], levels: 8, window: 16, store: ${store}, storeTimeoutMs: 2000 }\n`;
    writeFileSync(
      join(dir, 'shared.yaml'),
      `version: 1\nstores:\n  shared: { type: redis, url: ${inject('redisUrl')}, prefix: "${prefix}" }\nguards:\n${guardYaml('shared')}`,
    );
    writeFileSync(join(dir, 'local.yaml'), `version: 1\nguards:\n${guardYaml('memory')}`);
    const image = digitsData().test.x[0] as number[];
    const nudged = image.map((v, j) => (j % 7 === 0 ? Math.min(16, v + 0.5) : v));
    for (const [policy, caught] of [
      ['shared.yaml', true],
      ['local.yaml', false],
    ] as const) {
      const a = await startCli(['--model', modelPath('digits'), '--policy', join(dir, policy)]);
      const b = await startCli(['--model', modelPath('digits'), '--policy', join(dir, policy)]);
      try {
        expect((await postJson(`${a.url}/v1/predict`, { inputs: [image] })).status).toBe(200);
        const second = await postJson(`${b.url}/v1/predict`, { inputs: [nudged] });
        if (caught) expect({ status: second.status, code: second.json.error?.code }).toEqual({ status: 403, code: 'attack_suspected' });
        else expect(second.status).toBe(200);
      } finally {
        for (const c of [a, b]) {
          c.child.kill('SIGTERM');
          await c.exited;
        }
      }
    }
  });
});
