/**
 * Walks an ONNX model (ModelProto) before onnxruntime sees it: the main graph and every subgraph
 * (If/Loop/Scan bodies and any graph attribute), training graphs, model-local functions, every
 * initializer, sparse initializer and tensor attribute (Constant values included). It reports what
 * makes a model unsafe to hand to a native runtime:
 *
 *   external data     a tensor whose bytes live in another file: refused unless allowed; its
 *                     location must be relative and stay inside the model's folder
 *   operator domains  only allow-listed domains (ai.onnx, ai.onnx.ml by default) and opset ranges;
 *                     a custom domain means a custom-op library, which is never loaded
 *   limits            depth of subgraphs, node and tensor counts, rank, element counts
 *   consistency       raw data whose length does not match its shape and type
 *
 * Everything is a finding; the loader refuses on any finding of high severity or above, the
 * scanner reports them. The walk reads the bytes only: no file is opened here (see external.ts).
 */
import { type Finding, quote, type Severity } from '../findings.js';
import { type Field, fields, ProtobufError, packedVarints, text, WIRE } from '../protobuf/reader.js';
import { DEFAULT_DOMAINS, DEFAULT_LIMITS, ELEMENT_BYTES, type OnnxLimits } from './rules.js';

export interface OnnxWalkOptions {
  /** Allowed operator domains and opset ranges (default: ai.onnx 1-23, ai.onnx.ml 1-5). */
  readonly domains?: Readonly<Record<string, readonly [number, number]>>;
  readonly limits?: Partial<OnnxLimits>;
  /** Tensors with external data are reported as `high` findings unless allowed (then `info`). */
  readonly allowExternalData?: boolean;
}

/** A tensor's bytes in another file, as the model names them. */
export interface ExternalDataRef {
  readonly location: string;
  readonly offset: number;
  /** Bytes to read; undefined: to the end of the file. */
  readonly length: number | undefined;
  readonly tensor: string;
  readonly where: string;
}

export interface OnnxWalk {
  readonly findings: Finding[];
  readonly externalData: ExternalDataRef[];
  readonly opsets: { readonly domain: string; readonly version: number }[];
  readonly stats: { nodes: number; tensors: number; graphs: number; functions: number; maxDepth: number };
}

class Walker {
  readonly findings: Finding[] = [];
  readonly externalData: ExternalDataRef[] = [];
  readonly opsets: { domain: string; version: number }[] = [];
  readonly stats = { nodes: 0, tensors: 0, graphs: 0, functions: 0, maxDepth: 0 };
  readonly domainsUsed = new Map<string, string>(); // domain → first place used
  readonly localFunctionDomains = new Set<string>();
  readonly limits: OnnxLimits;
  #stopped = false;

  constructor(
    readonly buf: Uint8Array,
    readonly options: OnnxWalkOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  find(rule: string, severity: Severity, message: string, where: string): void {
    // Bounded: a crafted model cannot make the report itself unbounded.
    if (this.findings.length < 1000) this.findings.push({ rule, severity, message, where });
  }

  /** Past a hard limit the walk stops: what it has found is reported, the rest is not read. */
  stop(rule: string, message: string, where: string): void {
    this.find(rule, 'high', message, where);
    this.#stopped = true;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  model(): void {
    let sawGraph = false;
    for (const f of fields(this.buf)) {
      if (this.stopped) return;
      if (f.number === 7 && f.wire === WIRE.LEN) {
        sawGraph = true;
        this.graph(f, 'graph', 0);
      } else if (f.number === 8 && f.wire === WIRE.LEN) this.opset(f);
      else if (f.number === 20 && f.wire === WIRE.LEN) this.trainingInfo(f, `training_info`);
      else if (f.number === 25 && f.wire === WIRE.LEN) this.func(f, `functions[${this.stats.functions}]`);
    }
    if (!sawGraph) this.find('onnx/no-graph', 'high', 'the file has no graph: not an ONNX model', '');
    this.checkDomains();
  }

  opset(f: Field): void {
    let domain = '';
    let version = 0;
    for (const g of fields(this.buf, f.start, f.end)) {
      if (g.number === 1 && g.wire === WIRE.LEN) domain = text(this.buf, g);
      else if (g.number === 2 && g.wire === WIRE.VARINT) version = g.big ? Number.MAX_SAFE_INTEGER : g.value;
    }
    this.opsets.push({ domain, version });
  }

  trainingInfo(f: Field, where: string): void {
    for (const g of fields(this.buf, f.start, f.end)) {
      if ((g.number === 1 || g.number === 2) && g.wire === WIRE.LEN) this.graph(g, `${where}.${g.number === 1 ? 'initialization' : 'algorithm'}`, 1);
    }
  }

  func(f: Field, where: string): void {
    this.stats.functions++;
    let nodes = 0;
    for (const g of fields(this.buf, f.start, f.end)) {
      if (this.stopped) return;
      if (g.number === 10 && g.wire === WIRE.LEN) this.localFunctionDomains.add(text(this.buf, g));
      else if (g.number === 7 && g.wire === WIRE.LEN) this.node(g, `${where}.node[${nodes++}]`, 1);
      else if (g.number === 11 && g.wire === WIRE.LEN) this.attribute(g, `${where}.attribute_proto`, 1);
    }
  }

  graph(f: Field, where: string, depth: number): void {
    this.stats.graphs++;
    this.stats.maxDepth = Math.max(this.stats.maxDepth, depth);
    if (depth > this.limits.maxDepth) {
      this.stop('onnx/limits', `subgraphs nested deeper than ${this.limits.maxDepth}`, where);
      return;
    }
    let nodes = 0;
    let inits = 0;
    let sparse = 0;
    for (const g of fields(this.buf, f.start, f.end)) {
      if (this.stopped) return;
      if (g.wire !== WIRE.LEN) continue;
      if (g.number === 1) this.node(g, `${where}.node[${nodes++}]`, depth);
      else if (g.number === 5) this.tensor(g, `${where}.initializer[${inits++}]`);
      else if (g.number === 15) this.sparseTensor(g, `${where}.sparse_initializer[${sparse++}]`);
    }
  }

  node(f: Field, where: string, depth: number): void {
    if (++this.stats.nodes > this.limits.maxNodes) {
      this.stop('onnx/limits', `more than ${this.limits.maxNodes} nodes`, where);
      return;
    }
    let domain = '';
    let op = '';
    let attrs = 0;
    const attributes: Field[] = [];
    for (const g of fields(this.buf, f.start, f.end)) {
      if (g.wire !== WIRE.LEN) continue;
      if (g.number === 7) domain = text(this.buf, g);
      else if (g.number === 4) op = text(this.buf, g);
      else if (g.number === 5) attributes.push(g);
    }
    const at = `${where}(${op || '?'})`;
    if (!this.domainsUsed.has(domain)) this.domainsUsed.set(domain, at);
    for (const a of attributes) this.attribute(a, `${at}.attribute[${attrs++}]`, depth);
  }

  attribute(f: Field, where: string, depth: number): void {
    let name = '';
    let tensors = 0;
    let graphs = 0;
    let sparse = 0;
    const inner: [Field, string][] = [];
    for (const g of fields(this.buf, f.start, f.end)) {
      if (g.wire !== WIRE.LEN) continue;
      if (g.number === 1) name = text(this.buf, g);
      else if (g.number === 5) inner.push([g, 't']);
      else if (g.number === 6) inner.push([g, 'g']);
      else if (g.number === 22) inner.push([g, 'sparse_tensor']);
      else if (g.number === 10) inner.push([g, `tensors[${tensors++}]`]);
      else if (g.number === 11) inner.push([g, `graphs[${graphs++}]`]);
      else if (g.number === 23) inner.push([g, `sparse_tensors[${sparse++}]`]);
    }
    const at = where.replace(/\[\d+\]$/, `[${name || '?'}]`);
    for (const [g, what] of inner) {
      if (this.stopped) return;
      if (what === 'g' || what.startsWith('graphs')) this.graph(g, `${at}.${what}`, depth + 1);
      else if (what === 'sparse_tensor' || what.startsWith('sparse_tensors')) this.sparseTensor(g, `${at}.${what}`);
      else this.tensor(g, `${at}.${what}`);
    }
  }

  sparseTensor(f: Field, where: string): void {
    for (const g of fields(this.buf, f.start, f.end)) {
      if (this.stopped) return;
      if (g.wire !== WIRE.LEN) continue;
      if (g.number === 1) this.tensor(g, `${where}.values`);
      else if (g.number === 2) this.tensor(g, `${where}.indices`);
    }
  }

  tensor(f: Field, where: string): void {
    if (++this.stats.tensors > this.limits.maxTensors) {
      this.stop('onnx/limits', `more than ${this.limits.maxTensors} tensors`, where);
      return;
    }
    const dims: number[] = [];
    let dataType = 0;
    let name = '';
    let raw: Field | undefined;
    let external = false;
    const entries: { key: string; value: string }[] = [];
    for (const g of fields(this.buf, f.start, f.end)) {
      if (g.number === 1) {
        for (const d of packedVarints(this.buf, g)) {
          dims.push(d);
          if (dims.length > this.limits.maxRank) {
            this.stop('onnx/limits', `a tensor of rank above ${this.limits.maxRank}`, where);
            return;
          }
        }
      } else if (g.number === 2 && g.wire === WIRE.VARINT) dataType = g.value;
      else if (g.number === 8 && g.wire === WIRE.LEN) name = text(this.buf, g);
      else if (g.number === 9 && g.wire === WIRE.LEN) raw = g;
      else if (g.number === 14 && g.wire === WIRE.VARINT) external = g.value === 1;
      else if (g.number === 13 && g.wire === WIRE.LEN) {
        let key = '';
        let value = '';
        for (const e of fields(this.buf, g.start, g.end)) {
          if (e.wire !== WIRE.LEN) continue;
          if (e.number === 1) key = text(this.buf, e);
          else if (e.number === 2) value = text(this.buf, e);
        }
        entries.push({ key, value });
      }
    }
    const at = `${where}${name ? `(${quote(name, 40)})` : ''}`;
    let elements = 1;
    for (const d of dims) {
      if (!Number.isSafeInteger(d) || d < 0) {
        this.find('onnx/tensor-shape', 'high', `a dimension of ${d}`, at);
        return;
      }
      elements *= d;
    }
    if (elements > this.limits.maxElements) {
      this.find('onnx/limits', 'high', `a tensor of ${elements} elements (limit ${this.limits.maxElements})`, at);
      return;
    }
    if (external || entries.length > 0) {
      this.external(entries, name, at);
      return;
    }
    const size = ELEMENT_BYTES[dataType];
    if (raw !== undefined && size !== undefined && raw.end - raw.start !== Math.ceil(elements * size)) {
      this.find('onnx/tensor-size', 'high', `raw data of ${raw.end - raw.start} bytes for ${elements} elements of ${size} bytes`, at);
    }
  }

  external(entries: { key: string; value: string }[], tensor: string, where: string): void {
    const get = (k: string) => entries.find((e) => e.key === k)?.value;
    const location = get('location');
    if (location === undefined || location === '') {
      this.find('onnx/external-data', 'high', 'external data without a location', where);
      return;
    }
    const problem = locationProblem(location);
    if (problem !== undefined) {
      this.find('onnx/external-data-traversal', 'critical', `external data location ${quote(location)} ${problem}`, where);
      return;
    }
    const offset = nonNegative(get('offset') ?? '0');
    const lengthText = get('length');
    const length = lengthText === undefined ? undefined : nonNegative(lengthText);
    if (offset === undefined || (lengthText !== undefined && length === undefined)) {
      this.find(
        'onnx/external-data-bounds',
        'high',
        `external data offset ${quote(get('offset') ?? '')} / length ${quote(lengthText ?? '')} are not byte counts`,
        where,
      );
      return;
    }
    this.externalData.push({ location, offset, length, tensor, where });
    if (this.options.allowExternalData)
      this.find('onnx/external-data', 'info', `tensor data in ${quote(location)} (allowed; checked against the folder)`, where);
    else this.find('onnx/external-data', 'high', `tensor data in another file, ${quote(location)}: external data is refused unless allowed`, where);
  }

  checkDomains(): void {
    const allowed = this.options.domains ?? DEFAULT_DOMAINS;
    for (const [domain, where] of this.domainsUsed) {
      if (this.localFunctionDomains.has(domain)) continue;
      if (!Object.hasOwn(allowed, domain)) {
        this.find('onnx/op-domain', 'high', `operator domain ${quote(domain)} is not allowed (a custom-op library would be needed)`, where);
        continue;
      }
      const [lo, hi] = allowed[domain] as readonly [number, number];
      const opset = this.opsets.find((o) => o.domain === domain || (domain === '' && o.domain === 'ai.onnx') || (domain === 'ai.onnx' && o.domain === ''));
      if (opset === undefined) this.find('onnx/opset', 'medium', `no opset imported for domain ${quote(domain)}`, where);
      else if (opset.version < lo || opset.version > hi)
        this.find('onnx/opset', 'high', `opset ${opset.version} of ${quote(domain)} is outside ${lo}-${hi}`, where);
    }
  }
}

/** Why a location may not be used, or undefined: relative, no `..` escaping, nothing exotic. */
export function locationProblem(location: string): string | undefined {
  if (location.includes('\0')) return 'contains a NUL byte';
  if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) return 'is absolute';
  if (/^[a-z][a-z0-9+.-]*:/i.test(location)) return 'is a URL';
  let depth = 0;
  for (const part of location.split(/[/\\]/)) {
    if (part === '..') depth--;
    else if (part !== '.' && part !== '') depth++;
    if (depth < 0) return 'leaves the model folder (..)';
  }
  if (depth === 0) return 'names no file';
  return undefined;
}

function nonNegative(s: string): number | undefined {
  if (!/^\d{1,16}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Walks an ONNX model's bytes. Never throws on malformed input: a file that is not a valid
 * protobuf is one `onnx/parse-error` finding.
 */
export function walkOnnx(bytes: Uint8Array, options: OnnxWalkOptions = {}): OnnxWalk {
  const w = new Walker(bytes, options);
  try {
    w.model();
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
    w.find('onnx/parse-error', 'critical', `not a valid ONNX protobuf: ${err.message}`, '');
  }
  return { findings: w.findings, externalData: w.externalData, opsets: w.opsets, stats: w.stats };
}
