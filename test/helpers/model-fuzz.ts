/**
 * Fuzzing the model-file parsers: the ONNX walker, the safetensors checker and the pickle
 * disassembler (and the zip reader around PyTorch checkpoints) get mutated and random inputs from
 * a seed; any exception that escapes them is a bug (they report problems as findings). Shared by
 * the short run in test/supply-chain/fuzz.test.ts and the long one, `pnpm fuzz:models`.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '@bulwark/attack-lab';
import { checkSafetensors, disassemblePickle, scanBytes, walkOnnx } from '@bulwark/supply-chain';
import { benignPickle, matmulModel, model, node, pb, pickleCall, pickleStackGlobalViaMemo, safetensors, tensor, zipWith } from './model-corpus.js';

export type FuzzTarget = 'onnx' | 'safetensors' | 'pickle' | 'zip';
type Bytes = Uint8Array;

const u8 = (parts: (Bytes | number[])[]): Bytes => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** Generic byte-level mutations of a seed. */
function mutate(r: Rng, seed: Bytes, seeds: readonly Bytes[]): Bytes {
  const b = Buffer.from(seed);
  switch (r.int(9)) {
    case 0: {
      for (let i = 0, n = 1 + r.int(8); i < n && b.length > 0; i++) b[r.int(b.length)] = r.int(256);
      return b;
    }
    case 1:
      return b.subarray(0, r.int(b.length + 1));
    case 2: {
      // Runs of 0xff become huge or unterminated varints and lengths.
      const at = r.int(b.length + 1);
      return u8([b.subarray(0, at), Array.from({ length: 1 + r.int(11) }, () => 0xff), b.subarray(at)]);
    }
    case 3: {
      const at = r.int(b.length + 1);
      return u8([b.subarray(0, at), Array.from({ length: 1 + r.int(32) }, () => r.int(256)), b.subarray(at)]);
    }
    case 4: {
      // Splice a range of another seed in.
      const other = seeds[r.int(seeds.length)] as Bytes;
      const from = r.int(other.length + 1);
      const at = r.int(b.length + 1);
      return u8([b.subarray(0, at), other.subarray(from, from + r.int(256)), b.subarray(at + r.int(64))]);
    }
    case 5: {
      // Duplicate a range (nesting, repeated fields).
      const from = r.int(b.length + 1);
      const piece = b.subarray(from, from + 1 + r.int(128));
      return u8([b.subarray(0, from), piece, piece, piece, b.subarray(from)]);
    }
    case 6: {
      for (let i = 0, n = 1 + r.int(4); i < n && b.length > 0; i++) {
        const p = r.int(b.length);
        b[p] = (b[p] as number) ^ (1 << r.int(8));
      }
      return b;
    }
    case 7: {
      const p = r.int(b.length + 1);
      return u8([b.subarray(0, p), b.subarray(p + 1 + r.int(16))]);
    }
    default:
      return Buffer.from(Array.from({ length: r.int(512) }, () => r.int(256)));
  }
}

/** A random protobuf message: fields of every wire type, nested, sometimes with lying lengths. */
function randomProtobuf(r: Rng, depth: number): Bytes {
  const parts: Bytes[] = [];
  for (let i = 0, n = r.int(8); i < n; i++) {
    const field = 1 + r.int(22);
    const kind = r.int(depth > 5 ? 3 : 5);
    if (kind === 0) parts.push(pb.int(field, r.int(3) === 0 ? 2n ** BigInt(r.int(64)) : r.int(1000)));
    else if (kind === 1)
      parts.push(pb.str(field, ['', '..', '/etc/passwd', 'ai.onnx', 'location', 'offset', 'length', 'x'.repeat(r.int(40))][r.int(8)] as string));
    else if (kind === 2) parts.push(u8([[field * 8 + [1, 5, 3, 4, 6, 7][r.int(6)]!], Array.from({ length: r.int(9) }, () => r.int(256))]));
    else parts.push(pb.bytes(field, randomProtobuf(r, depth + 1)));
  }
  return u8(parts);
}

const PICKLE_OPS = [...'()0123KLNIFGJMSVXabcdeghijklmopqrstuR.}]']
  .map((c) => c.charCodeAt(0))
  .concat([0x80, 0x81, 0x82, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98]);

/** A random opcode stream: the disassembler's stack and memo simulation on nonsense. */
function randomPickle(r: Rng): Bytes {
  const out: number[] = r.int(2) ? [0x80, r.int(6)] : [];
  for (let i = 0, n = r.int(200); i < n; i++) {
    out.push(PICKLE_OPS[r.int(PICKLE_OPS.length)] as number);
    for (let j = 0, m = r.int(5); j < m; j++) out.push(r.int(3) ? r.int(256) : 10);
  }
  if (r.int(2)) out.push(0x2e);
  return Buffer.from(out);
}

function randomSafetensorsHeader(r: Rng): Bytes {
  const nums = [0, 1, 4, 8, -1, 2 ** 53, 1e300, 0.5, 2 ** 31];
  const pick = () => nums[r.int(nums.length)] as number;
  const header: Record<string, unknown> = {};
  for (let i = 0, n = r.int(5); i < n; i++) {
    header[['a', 'b', '__metadata__', '__proto__', 'constructor'][r.int(5)] as string] =
      r.int(6) === 0
        ? 'text'
        : {
            dtype: ['F32', 'F16', 'BOOL', 'I64', 'Q4', 1][r.int(6)],
            shape: Array.from({ length: r.int(4) }, pick),
            data_offsets: [pick(), pick()].slice(0, 1 + r.int(2)),
          };
  }
  const data = Buffer.alloc(r.int(64));
  const declared = r.int(8) === 0 ? BigInt(r.int(2 ** 31)) * BigInt(1 + r.int(2 ** 20)) : undefined;
  return safetensors(header, data, declared);
}

export function seedsFor(target: FuzzTarget, shipped: readonly Bytes[]): Bytes[] {
  switch (target) {
    case 'onnx': {
      const sub = tensor('W2', [4, 2], { external: { location: 'w.bin', offset: '0', length: '32' } });
      return [
        ...shipped,
        matmulModel(),
        matmulModel({ external: { location: 'weights.bin' } }),
        model(u8([pb.bytes(1, node('Relu', ['X'], ['Y'])), pb.bytes(5, sub)])),
      ];
    }
    case 'safetensors':
      return [
        safetensors(
          {
            __metadata__: { format: 'pt' },
            a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
            b: { dtype: 'I64', shape: [1], data_offsets: [16, 24] },
          },
          Buffer.alloc(24),
        ),
      ];
    case 'pickle':
      return [benignPickle(), pickleCall('os', 'system', 'id'), pickleStackGlobalViaMemo('builtins', 'eval', 'x')];
    case 'zip':
      return [zipWith('archive/data.pkl', benignPickle()), zipWith('archive/data.pkl', pickleCall('os', 'system', 'id'), true)];
  }
}

/** One input for a target: mostly mutations of its seeds, some generated from scratch. */
export function fuzzInput(target: FuzzTarget, r: Rng, seeds: readonly Bytes[]): Bytes {
  const seed = seeds[r.int(seeds.length)] as Bytes;
  if (r.int(4) > 0) return mutate(r, seed, seeds);
  if (target === 'onnx') return r.int(2) ? randomProtobuf(r, 0) : model(randomProtobuf(r, 1));
  if (target === 'safetensors') return randomSafetensorsHeader(r);
  if (target === 'pickle') return randomPickle(r);
  return zipWith(`archive/${r.int(2) ? 'data.pkl' : 'x'}`, r.int(2) ? randomPickle(r) : mutate(r, seed, seeds), r.int(2) === 0);
}

/** Runs one input through a target's parser; returns the exception that escaped, if any. */
export function parse(target: FuzzTarget, bytes: Bytes): unknown {
  try {
    let findings: unknown;
    if (target === 'onnx') findings = walkOnnx(bytes, { allowExternalData: true }).findings;
    else if (target === 'safetensors') findings = checkSafetensors(bytes);
    else if (target === 'pickle') findings = disassemblePickle(bytes).findings;
    else findings = scanBytes(bytes, 'checkpoint.pt').findings;
    if (!Array.isArray(findings)) return new Error('the parser returned no findings array');
    return undefined;
  } catch (err) {
    return err;
  }
}

export interface FuzzRun {
  readonly target: FuzzTarget;
  readonly inputs: number;
  readonly bytes: number;
  readonly failures: { readonly index: number; readonly error: string; readonly input: string }[];
  /** The slowest single input, ms (a hang would show here; reported, not asserted). */
  readonly slowestMs: number;
  readonly totalMs: number;
}

export function fuzzTarget(target: FuzzTarget, n: number, seed: number, shipped: readonly Bytes[]): FuzzRun {
  const r = new Rng(seed);
  const seeds = seedsFor(target, shipped);
  const failures: FuzzRun['failures'][number][] = [];
  let bytes = 0;
  let slowestMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const input = fuzzInput(target, r, seeds);
    bytes += input.length;
    const t = performance.now();
    const err = parse(target, input);
    const ms = performance.now() - t;
    if (ms > slowestMs) slowestMs = ms;
    if (err !== undefined && failures.length < 20)
      failures.push({ index: i, error: String((err as Error)?.stack ?? err).slice(0, 400), input: Buffer.from(input).toString('base64').slice(0, 2000) });
  }
  return { target, inputs: n, bytes, failures, slowestMs, totalMs: performance.now() - t0 };
}
