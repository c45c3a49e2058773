/**
 * Exposes intermediate tensors of an ONNX model as extra graph outputs, by editing the protobuf
 * bytes (no ONNX library): the backdoor detectors read a hidden layer's activations this way.
 * The ModelProto's `graph` field (7) is rewritten with one `output` (GraphProto field 12, a
 * ValueInfoProto: name and float tensor type) appended per name; every other byte is kept. Each
 * name must be the output of a node of the graph, so nothing is exposed that the model does not
 * compute. The result is a new model for analysis: it is not signed, and must not be served.
 */
import { fields, ProtobufError, WIRE } from '../protobuf/reader.js';

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_OUTPUT = 12;
const NODE_OUTPUT = 2;
const VALUE_INFO_NAME = 1;

function varintBytes(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A length-delimited field: key, length, payload. */
function lenField(number: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varintBytes(number * 8 + WIRE.LEN), ...varintBytes(payload.length)]), payload]);
}

/** ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type: FLOAT } } }. */
function floatOutput(name: string): Buffer {
  const tensorType = Buffer.from([0x08, 0x01]); // elem_type (1) = FLOAT (1)
  const typeProto = lenField(1, tensorType); // TypeProto.tensor_type (1)
  return Buffer.concat([lenField(VALUE_INFO_NAME, Buffer.from(name, 'utf8')), lenField(2, typeProto)]);
}

export function exposeTensors(model: Uint8Array, names: readonly string[]): Buffer {
  const buf = Buffer.from(model.buffer, model.byteOffset, model.byteLength);
  let graph: { keyAt: number; start: number; end: number } | undefined;
  let keyAt = 0;
  for (const f of fields(buf)) {
    if (f.number === MODEL_GRAPH && f.wire === WIRE.LEN) {
      if (graph) throw new ProtobufError('the model holds two graphs', f.start);
      graph = { keyAt, start: f.start, end: f.end };
    }
    keyAt = f.end; // where the next field's key starts
  }
  if (!graph) throw new ProtobufError('the model holds no graph', 0);
  // What the graph's nodes compute, and what it already outputs.
  const produced = new Set<string>();
  const outputs = new Set<string>();
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.number === GRAPH_NODE && f.wire === WIRE.LEN) {
      for (const n of fields(buf, f.start, f.end)) if (n.number === NODE_OUTPUT && n.wire === WIRE.LEN) produced.add(buf.toString('utf8', n.start, n.end));
    } else if (f.number === GRAPH_OUTPUT && f.wire === WIRE.LEN) {
      for (const v of fields(buf, f.start, f.end)) if (v.number === VALUE_INFO_NAME && v.wire === WIRE.LEN) outputs.add(buf.toString('utf8', v.start, v.end));
    }
  }
  const added: Buffer[] = [];
  for (const name of names) {
    if (!produced.has(name)) throw new ProtobufError(`no node of the graph outputs a tensor named ${JSON.stringify(name).slice(0, 80)}`, graph.start);
    if (!outputs.has(name)) added.push(lenField(GRAPH_OUTPUT, floatOutput(name)));
  }
  const newGraph = Buffer.concat([buf.subarray(graph.start, graph.end), ...added]);
  return Buffer.concat([buf.subarray(0, graph.keyAt), lenField(MODEL_GRAPH, newGraph), buf.subarray(graph.end)]);
}
