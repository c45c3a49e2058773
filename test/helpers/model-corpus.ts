/**
 * The supply-chain regression corpus: crafted model files, each built here from scratch (a
 * protobuf writer for ONNX, opcodes for pickles, bytes for safetensors), so nothing hostile is
 * stored in the repository. `buildCorpus(dir)` writes every case and returns what each should do;
 * `pnpm corpus --out <dir>` writes the same files for a look by hand.
 */
import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';

// --- protobuf writing ---------------------------------------------------------------------------
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
type Bytes = Uint8Array;
const cat = (parts: (Bytes | number[])[]): Bytes => Buffer.concat(parts.map((p) => Buffer.from(p)));
export const pb = {
  int: (field: number, v: number | bigint): Bytes => cat([varint(field * 8), varint(v)]),
  bytes: (field: number, b: Bytes): Bytes => cat([varint(field * 8 + 2), varint(b.length), b]),
  str: (field: number, s: string): Bytes => pb.bytes(field, Buffer.from(s, 'utf8')),
  msg: (field: number, ...parts: Bytes[]): Bytes => pb.bytes(field, cat(parts)),
};

// --- ONNX building ------------------------------------------------------------------------------
const FLOAT = 1;
export function tensor(name: string, dims: number[], opts: { raw?: Bytes; external?: Record<string, string> } = {}): Bytes {
  const parts = [...dims.map((d) => pb.int(1, d)), pb.int(2, FLOAT), pb.str(8, name)];
  if (opts.raw) parts.push(pb.bytes(9, opts.raw));
  if (opts.external) {
    for (const [k, v] of Object.entries(opts.external)) parts.push(pb.msg(13, pb.str(1, k), pb.str(2, v)));
    parts.push(pb.int(14, 1));
  }
  return cat(parts);
}
function valueInfo(name: string, dims: (number | string)[]): Bytes {
  const dimMsgs = dims.map((d) => pb.msg(1, typeof d === 'number' ? pb.int(1, d) : pb.str(2, d)));
  return cat([pb.str(1, name), pb.msg(2, pb.msg(1, pb.int(1, FLOAT), pb.msg(2, ...dimMsgs)))]);
}
export function node(op: string, inputs: string[], outputs: string[], opts: { domain?: string; attributes?: Bytes[] } = {}): Bytes {
  return cat([
    ...inputs.map((i) => pb.str(1, i)),
    ...outputs.map((o) => pb.str(2, o)),
    pb.str(4, op),
    ...(opts.domain ? [pb.str(7, opts.domain)] : []),
    ...(opts.attributes ?? []).map((a) => pb.bytes(5, a)),
  ]);
}
export function graph(parts: { nodes: Bytes[]; initializers?: Bytes[]; sparse?: Bytes[]; inputs?: Bytes[]; outputs?: Bytes[] }): Bytes {
  return cat([
    ...parts.nodes.map((n) => pb.bytes(1, n)),
    pb.str(2, 'g'),
    ...(parts.initializers ?? []).map((t) => pb.bytes(5, t)),
    ...(parts.sparse ?? []).map((t) => pb.bytes(15, t)),
    ...(parts.inputs ?? []).map((v) => pb.bytes(11, v)),
    ...(parts.outputs ?? []).map((v) => pb.bytes(12, v)),
  ]);
}
export function model(g: Bytes, opsets: [string, number][] = [['', 17]]): Bytes {
  return cat([pb.int(1, 8), pb.str(2, 'bulwark-corpus'), ...opsets.map(([d, v]) => pb.msg(8, pb.str(1, d), pb.int(2, v))), pb.bytes(7, g)]);
}

/** A loadable model: Y = X · W with W (4 × 2) inline. */
export function matmulModel(w: Bytes | { external: Record<string, string> } = Buffer.from(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]).buffer)): Bytes {
  const init = 'external' in w ? tensor('W', [4, 2], { external: w.external }) : tensor('W', [4, 2], { raw: w });
  return model(
    graph({ nodes: [node('MatMul', ['X', 'W'], ['Y'])], initializers: [init], inputs: [valueInfo('X', ['N', 4])], outputs: [valueInfo('Y', ['N', 2])] }),
  );
}

// --- pickles ------------------------------------------------------------------------------------
const ascii = (s: string) => Buffer.from(s, 'latin1');
/** Protocol 0: GLOBAL module name, MARK, a string argument, TUPLE, REDUCE. */
export function pickleCall(module: string, name: string, arg: string): Bytes {
  return ascii(`c${module}\n${name}\n(S'${arg}'\ntR.`);
}
/** Protocol 4: STACK_GLOBAL whose names go through the memo (what naive scanners miss). */
export function pickleStackGlobalViaMemo(module: string, name: string, arg: string): Bytes {
  const u = (s: string) => cat([[0x8c, s.length], ascii(s)]);
  return cat([[0x80, 4], u(module), [0x94], u(name), [0x94], [0x30, 0x30], [0x68, 0], [0x68, 1], [0x93], u(arg), [0x85, 0x52, 0x2e]]);
}
/** Protocol 2 plain data: {'a': [1, 2], 'b': 'text'}. */
export function benignPickle(): Bytes {
  return cat([
    [0x80, 2, 0x7d, 0x71, 0, 0x28],
    [0x55, 1],
    ascii('a'),
    [0x5d, 0x28, 0x4b, 1, 0x4b, 2, 0x65],
    [0x55, 1],
    ascii('b'),
    [0x55, 4],
    ascii('text'),
    [0x75, 0x2e],
  ]);
}
/** A stored zip (one entry) as a PyTorch checkpoint is. */
export function zipWith(name: string, data: Bytes, deflate = false): Bytes {
  const body = deflate ? deflateRawSync(data) : data;
  const n = Buffer.from(name);
  const le16 = (v: number) => [v & 255, v >> 8];
  const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
  const method = deflate ? 8 : 0;
  const local = cat([
    le32(0x04034b50),
    le16(20),
    le16(0),
    le16(method),
    le16(0),
    le16(0),
    le32(0),
    le32(body.length),
    le32(data.length),
    le16(n.length),
    le16(0),
    n,
    body,
  ]);
  const central = cat([
    le32(0x02014b50),
    le16(20),
    le16(20),
    le16(0),
    le16(method),
    le16(0),
    le16(0),
    le32(0),
    le32(body.length),
    le32(data.length),
    le16(n.length),
    le16(0),
    le16(0),
    le16(0),
    le16(0),
    le32(0),
    le32(0),
    n,
  ]);
  const end = cat([le32(0x06054b50), le16(0), le16(0), le16(1), le16(1), le32(central.length), le32(local.length), le16(0)]);
  return cat([local, central, end]);
}

// --- safetensors --------------------------------------------------------------------------------
export function safetensors(header: object, data: Bytes, declaredHeaderLength?: bigint): Bytes {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(declaredHeaderLength ?? BigInt(h.length));
  return cat([len, h, data]);
}

// --- the corpus ---------------------------------------------------------------------------------
export interface CorpusCase {
  readonly name: string;
  /** The file to scan or load. */
  readonly path: string;
  /** `reject`: refused before any runtime sees it; `accept`: no finding of medium or above. */
  readonly expect: 'reject' | 'accept';
  /** The finding rule that must be among the findings of a rejected file. */
  readonly rule?: string;
}

/** Writes every case under `dir`; `outside` is a file outside the model folders that external data may try to reach. */
export function buildCorpus(dir: string, cleanOnnx: Bytes): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const outside = join(dir, 'outside-secret.bin');
  writeFileSync(outside, Buffer.from(new Float32Array([13, 37, 42, 7, 1, 2, 3, 4]).buffer));
  const onnx = (name: string, bytes: Bytes, expect: 'reject' | 'accept', rule?: string, prepare?: (folder: string) => void) => {
    const folder = join(dir, 'onnx', name);
    mkdirSync(folder, { recursive: true });
    prepare?.(folder);
    const path = join(folder, 'model.onnx');
    writeFileSync(path, bytes);
    cases.push({ name: `onnx/${name}`, path, expect, rule });
  };
  const ext = (location: string, extra: Record<string, string> = {}) => matmulModel({ external: { location, ...extra } });
  onnx('clean-shipped', cleanOnnx, 'accept');
  onnx('clean-inline', matmulModel(), 'accept');
  onnx('external-dotdot', ext('../../outside-secret.bin'), 'reject', 'onnx/external-data-traversal');
  onnx('external-nested-dotdot', ext('a/../../../outside-secret.bin'), 'reject', 'onnx/external-data-traversal', (f) => mkdirSync(join(f, 'a')));
  onnx('external-absolute', ext(outside), 'reject', 'onnx/external-data-traversal');
  onnx('external-etc-passwd', ext('/etc/passwd'), 'reject', 'onnx/external-data-traversal');
  onnx('external-symlink', ext('weights.bin'), 'reject', 'onnx/external-data-traversal', (f) => symlinkSync(outside, join(f, 'weights.bin')));
  onnx('external-hardlink', ext('weights.bin'), 'reject', 'onnx/external-data-traversal', (f) => linkSync(outside, join(f, 'weights.bin')));
  onnx('external-negative-offset', ext('weights.bin', { offset: '-5' }), 'reject', 'onnx/external-data-bounds', (f) =>
    writeFileSync(join(f, 'weights.bin'), Buffer.alloc(32)),
  );
  onnx('external-petabyte-offset', ext('weights.bin', { offset: '1125899906842624', length: '32' }), 'reject', 'onnx/external-data-bounds', (f) =>
    writeFileSync(join(f, 'weights.bin'), Buffer.alloc(32)),
  );
  onnx('external-petabyte-length', ext('weights.bin', { length: '1125899906842624' }), 'reject', 'onnx/external-data-bounds', (f) =>
    writeFileSync(join(f, 'weights.bin'), Buffer.alloc(32)),
  );
  onnx('external-inside-folder', ext('weights.bin'), 'reject', 'onnx/external-data', (f) => writeFileSync(join(f, 'weights.bin'), Buffer.alloc(32)));
  const sparse = pb.msg(
    15,
    pb.msg(1, tensor('values', [2], { external: { location: '../../outside-secret.bin' } })),
    pb.msg(2, tensor('indices', [2], { raw: Buffer.alloc(8) })),
    pb.int(3, 4),
  );
  onnx(
    'external-sparse-initializer',
    model(cat([pb.bytes(1, node('MatMul', ['X', 'W'], ['Y'])), pb.str(2, 'g'), sparse])),
    'reject',
    'onnx/external-data-traversal',
  );
  const constAttr = cat([pb.str(1, 'value'), pb.msg(5, tensor('c', [4, 2], { external: { location: '/etc/passwd' } })), pb.int(20, 4)]);
  onnx(
    'external-constant-attribute',
    model(graph({ nodes: [node('Constant', [], ['W'], { attributes: [constAttr] }), node('MatMul', ['X', 'W'], ['Y'])] })),
    'reject',
    'onnx/external-data-traversal',
  );
  const sub = graph({
    nodes: [node('Identity', ['W2'], ['Z'])],
    initializers: [tensor('W2', [4, 2], { external: { location: '../../../outside-secret.bin' } })],
  });
  const ifAttr = (g: Bytes, name: string) => cat([pb.str(1, name), pb.bytes(6, g), pb.int(20, 5)]);
  onnx(
    'external-in-subgraph',
    model(graph({ nodes: [node('If', ['cond'], ['Y'], { attributes: [ifAttr(sub, 'then_branch'), ifAttr(sub, 'else_branch')] })] })),
    'reject',
    'onnx/external-data-traversal',
  );
  onnx(
    'unknown-domain',
    model(graph({ nodes: [node('Pwn', ['X'], ['Y'], { domain: 'com.evil.customops' })] }), [
      ['', 17],
      ['com.evil.customops', 1],
    ]),
    'reject',
    'onnx/op-domain',
  );
  onnx('opset-out-of-range', model(graph({ nodes: [node('Relu', ['X'], ['Y'])] }), [['', 999]]), 'reject', 'onnx/opset');
  let deep = graph({ nodes: [node('Identity', ['X'], ['Y'])] });
  for (let i = 0; i < 20; i++) deep = graph({ nodes: [node('If', ['c'], ['Y'], { attributes: [ifAttr(deep, 'then_branch')] })] });
  onnx('oversized-nesting', model(deep), 'reject', 'onnx/limits');
  onnx('tensor-size-mismatch', matmulModel(Buffer.alloc(7)), 'reject', 'onnx/tensor-size');
  onnx('truncated', cleanOnnx.subarray(0, Math.floor(cleanOnnx.length / 2)), 'reject', 'onnx/parse-error');
  onnx('not-onnx', Buffer.from('\x89PNG\r\n\x1a\n this is not a model at all'), 'reject');

  const file = (sub: string, name: string, bytes: Bytes, expect: 'reject' | 'accept', rule?: string) => {
    const folder = join(dir, sub);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, name);
    writeFileSync(path, bytes);
    cases.push({ name: `${sub}/${name}`, path, expect, rule });
  };
  file('pickle', 'os-system.pkl', pickleCall('os', 'system', 'touch /tmp/pwned'), 'reject', 'pickle/code-execution');
  file('pickle', 'posix-system.pt', pickleCall('posix', 'system', 'id'), 'reject', 'pickle/code-execution');
  file(
    'pickle',
    'builtins-eval-stack-global.pkl',
    pickleStackGlobalViaMemo('builtins', 'eval', '__import__("os").system("id")'),
    'reject',
    'pickle/code-execution',
  );
  file('pickle', 'subprocess.joblib', pickleCall('subprocess', 'Popen', 'id'), 'reject', 'pickle/code-execution');
  file('pickle', 'socket.bin', pickleCall('socket', 'create_connection', '10.0.0.1'), 'reject', 'pickle/network');
  file('pickle', 'checkpoint-zip.pt', zipWith('archive/data.pkl', pickleCall('os', 'system', 'id')), 'reject', 'pickle/code-execution');
  file(
    'pickle',
    'checkpoint-zip-deflated.ckpt',
    zipWith('archive/data.pkl', pickleStackGlobalViaMemo('subprocess', 'call', 'id'), true),
    'reject',
    'pickle/code-execution',
  );
  file('pickle', 'benign-data.pkl', benignPickle(), 'accept');
  file('pickle', 'benign-checkpoint.pt', zipWith('archive/data.pkl', benignPickle()), 'accept');

  const f32 = (n: number) => Buffer.alloc(4 * n);
  file(
    'safetensors',
    'valid.safetensors',
    safetensors(
      { __metadata__: { format: 'pt' }, a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] } },
      f32(6),
    ),
    'accept',
  );
  file(
    'safetensors',
    'offset-past-end.safetensors',
    safetensors({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 64] } }, f32(4)),
    'reject',
    'safetensors/invalid',
  );
  file(
    'safetensors',
    'overlapping.safetensors',
    safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
    'reject',
    'safetensors/invalid',
  );
  file(
    'safetensors',
    'shape-mismatch.safetensors',
    safetensors({ a: { dtype: 'F32', shape: [3, 3], data_offsets: [0, 16] } }, f32(4)),
    'reject',
    'safetensors/invalid',
  );
  file(
    'safetensors',
    'huge-header.safetensors',
    safetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1), 10n ** 12n),
    'reject',
    'safetensors/invalid',
  );
  return cases;
}

/** The shipped fraud model's bytes (a clean, real model). */
export function cleanModelBytes(path: string): Bytes {
  return readFileSync(path);
}
