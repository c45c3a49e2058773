/**
 * Supply-chain benchmarks: verified loading against a plain `InferenceSession.create(path)` for
 * the shipped models and a 100 MB model (medians over alternating rounds, ratio in the same run),
 * with and without a signature check; and scan throughput, MB/s, per format.
 */
import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { modelPath, modelsPublicKey } from '@bulwark/models';
import { verifyModelSource } from '@bulwark/onnx';
import { generateKeys, privateKeyFrom, scanFile, signModel } from '@bulwark/supply-chain';
import * as ort from 'onnxruntime-node';
import { benignPickle, graph, model, node, safetensors, tensor } from '../../test/helpers/model-corpus.js';
import { median } from './stats.js';

export interface LoadRow {
  model: string;
  mb: number;
  plainMs: number;
  verifiedMs: number;
  signedMs: number;
  verifiedRatio: number;
  signedRatio: number;
}
export interface ScanRow {
  format: string;
  mb: number;
  ms: number;
  mbPerSecond: number;
}
export interface SupplyChainBench {
  load: LoadRow[];
  scan: ScanRow[];
}

const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** A 100 MB MatMul model: X [N, 5000] · W [5000, 5000] float32, W inline. */
function bigModel(): Uint8Array {
  const w = Buffer.alloc(5000 * 5000 * 4);
  for (let i = 0; i < w.length; i += 4) w.writeFloatLE(((i >> 2) % 7) - 3, i);
  const vi = (name: string) => {
    const dims = [Buffer.from([0x0a, 0x03, 0x12, 0x01, 0x4e]), Buffer.from([0x0a, 0x03, 0x08, 0x88, 0x27])]; // dim_param "N", dim_value 5000
    const shape = Buffer.concat(dims);
    const tensorType = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, shape.length]), shape]);
    const type = Buffer.concat([Buffer.from([0x0a, tensorType.length]), tensorType]);
    return Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name), Buffer.from([0x12, type.length]), type]);
  };
  return model(
    graph({ nodes: [node('MatMul', ['X', 'W'], ['Y'])], initializers: [tensor('W', [5000, 5000], { raw: w })], inputs: [vi('X')], outputs: [vi('Y')] }),
  );
}

export async function benchSupplyChain(quick = false): Promise<SupplyChainBench> {
  const work = mkdtempSync(join(tmpdir(), 'bulwark-bench-sc-'));
  try {
    const bigDir = join(work, 'big');
    mkdirSync(bigDir);
    const bigPath = join(bigDir, 'big.onnx');
    writeFileSync(bigPath, bigModel());
    const pem = generateKeys();
    const privateKey = privateKeyFrom(pem.privateKey);
    signModel(bigDir, { privateKey, publicKey: createPublicKey(privateKey) });

    const targets: { name: string; path: string; key: string }[] = [
      ...(['fraud', 'digits', 'leaky'] as const).map((m) => ({ name: m, path: modelPath(m), key: modelsPublicKey() })),
      { name: '100 MB MatMul', path: bigPath, key: pem.publicKey },
    ];
    const load: LoadRow[] = [];
    for (const t of targets) {
      const big = t.path === bigPath;
      const rounds = quick ? 2 : big ? 7 : 31;
      const plain: number[] = [];
      const verified: number[] = [];
      const signed: number[] = [];
      const runs = {
        plain: async () => (await ort.InferenceSession.create(t.path, sessionOptions)).release(),
        verified: async () => {
          const v = verifyModelSource(t.path);
          await (await ort.InferenceSession.create(v.bytes, sessionOptions)).release();
        },
        signed: async () => {
          const v = verifyModelSource(t.path, { verifyWith: t.key });
          await (await ort.InferenceSession.create(v.bytes, sessionOptions)).release();
        },
      };
      await runs.plain();
      await runs.verified();
      await runs.signed();
      // Alternating order each round, so drift (page cache, GC, frequency) lands on all three.
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 ? (['signed', 'verified', 'plain'] as const) : (['plain', 'verified', 'signed'] as const);
        for (const k of order) {
          const ms = await timeMs(runs[k]);
          (k === 'plain' ? plain : k === 'verified' ? verified : signed).push(ms);
        }
      }
      const p = median(plain);
      const v = median(verified);
      const s = median(signed);
      const { size } = await import('node:fs').then((fs) => fs.statSync(t.path));
      load.push({ model: t.name, mb: size / 1e6, plainMs: p, verifiedMs: v, signedMs: s, verifiedRatio: v / p, signedRatio: s / p });
    }

    // Scan throughput: the big ONNX file, a 100 MB safetensors file, a pickle of plain data.
    const st = join(work, 'big.safetensors');
    writeFileSync(st, safetensors({ w: { dtype: 'F32', shape: [25_000_000], data_offsets: [0, 100_000_000] } }, Buffer.alloc(100_000_000)));
    const pk = join(work, 'data.pkl');
    const one = benignPickle();
    // A long pickle of plain data: many small dicts in a list (opcode-dense, the disassembler's worst case).
    const body = one.subarray(2, one.length - 1); // without PROTO and STOP
    const parts: Buffer[] = [Buffer.from([0x80, 2, 0x5d, 0x28])];
    for (let i = 0; i < 200_000; i++) parts.push(Buffer.from(body));
    parts.push(Buffer.from([0x65, 0x2e]));
    writeFileSync(pk, Buffer.concat(parts));
    const scan: ScanRow[] = [];
    for (const [format, path] of [
      ['ONNX (100 MB MatMul)', bigPath],
      ['safetensors (100 MB)', st],
      ['pickle (plain data, opcode-dense)', pk],
    ] as const) {
      scanFile(path);
      const times: number[] = [];
      let bytes = 0;
      for (let r = 0; r < (quick ? 2 : 9); r++) {
        times.push(
          await timeMs(() => {
            bytes = scanFile(path).bytes;
          }),
        );
      }
      const ms = median(times);
      scan.push({ format, mb: bytes / 1e6, ms, mbPerSecond: bytes / 1e6 / (ms / 1000) });
    }
    return { load, scan };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
