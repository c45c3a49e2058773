/** What an ONNX model may use, by default: the standard operator domains and their opset ranges. */

/** Operator domains allowed, with the opset versions accepted (inclusive). `''` is `ai.onnx`. */
export const DEFAULT_DOMAINS: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  '': [1, 23],
  'ai.onnx': [1, 23],
  'ai.onnx.ml': [1, 5],
});

/** Bounds of a model walk: a model past them is refused before anything allocates for it. */
export interface OnnxLimits {
  /** Nesting of subgraphs (If/Loop/Scan bodies, graph attributes). */
  readonly maxDepth: number;
  /** Nodes in all graphs and functions together. */
  readonly maxNodes: number;
  /** Tensors (initializers, sparse initializers, attribute tensors) together. */
  readonly maxTensors: number;
  /** Dimensions of one tensor. */
  readonly maxRank: number;
  /** Elements of one tensor. */
  readonly maxElements: number;
}

export const DEFAULT_LIMITS: OnnxLimits = Object.freeze({
  maxDepth: 16,
  maxNodes: 1_000_000,
  maxTensors: 1_000_000,
  maxRank: 16,
  maxElements: 2 ** 40,
});

/** Bytes per element of each TensorProto data type (`undefined`: variable, e.g. strings). */
export const ELEMENT_BYTES: Readonly<Record<number, number | undefined>> = Object.freeze({
  1: 4, // FLOAT
  2: 1, // UINT8
  3: 1, // INT8
  4: 2, // UINT16
  5: 2, // INT16
  6: 4, // INT32
  7: 8, // INT64
  8: undefined, // STRING
  9: 1, // BOOL
  10: 2, // FLOAT16
  11: 8, // DOUBLE
  12: 4, // UINT32
  13: 8, // UINT64
  14: 8, // COMPLEX64
  15: 16, // COMPLEX128
  16: 2, // BFLOAT16
  17: 1, // FLOAT8E4M3FN
  18: 1, // FLOAT8E4M3FNUZ
  19: 1, // FLOAT8E5M2
  20: 1, // FLOAT8E5M2FNUZ
  21: 0.5, // UINT4
  22: 0.5, // INT4
  23: 0.5, // FLOAT4E2M1
});
