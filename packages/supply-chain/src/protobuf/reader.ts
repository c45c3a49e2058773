/**
 * A protobuf wire-format reader for untrusted bytes: it never allocates more than the input, never
 * recurses on its own (callers bound their depth), and reports a malformed message as a
 * `ProtobufError` with the offset, never as a RangeError from deep inside. Enough of the format for
 * walking ONNX: varints (up to 64 bits), fixed32/fixed64, length-delimited fields; groups are
 * refused (ONNX never uses them).
 */

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

export interface Field {
  readonly number: number;
  readonly wire: number;
  /** varint and fixed: the value (varints above 2^53 lose precision: `big` says so). */
  readonly value: number;
  /** True when a varint did not fit in a safe integer. */
  readonly big: boolean;
  /** LEN: start and end of the payload in the buffer. */
  readonly start: number;
  readonly end: number;
}

/** Iterates the fields of the message in `buf[start, end)`. */
export function* fields(buf: Uint8Array, start = 0, end = buf.length): Generator<Field> {
  let p = start;
  while (p < end) {
    const keyAt = p;
    const [key, afterKey] = varint(buf, p, end);
    p = afterKey;
    const wire = key % 8;
    const number = Math.floor(key / 8);
    if (number < 1 || number > 536_870_911) throw new ProtobufError(`invalid field number ${number}`, keyAt);
    if (wire === WIRE.VARINT) {
      const at = p;
      const [v, next] = varint(buf, p, end);
      p = next;
      yield { number, wire, value: v, big: !Number.isSafeInteger(v), start: at, end: p };
    } else if (wire === WIRE.FIXED64) {
      if (p + 8 > end) throw new ProtobufError('truncated fixed64', p);
      const view = new DataView(buf.buffer, buf.byteOffset + p, 8);
      const v = Number(view.getBigUint64(0, true));
      yield { number, wire, value: v, big: !Number.isSafeInteger(v), start: p, end: p + 8 };
      p += 8;
    } else if (wire === WIRE.FIXED32) {
      if (p + 4 > end) throw new ProtobufError('truncated fixed32', p);
      const v = new DataView(buf.buffer, buf.byteOffset + p, 4).getUint32(0, true);
      yield { number, wire, value: v, big: false, start: p, end: p + 4 };
      p += 4;
    } else if (wire === WIRE.LEN) {
      const [len, next] = varint(buf, p, end);
      if (!Number.isSafeInteger(len) || next + len > end) throw new ProtobufError(`length ${len} runs past the end of its message`, p);
      yield { number, wire, value: len, big: false, start: next, end: next + len };
      p = next + len;
    } else {
      throw new ProtobufError(`unsupported wire type ${wire}`, keyAt);
    }
  }
}

/** Reads a varint at `p`; returns the value (a double: exact up to 2^53) and the next offset. */
export function varint(buf: Uint8Array, p: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= end) throw new ProtobufError('truncated varint', p);
    const b = buf[p++] as number;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, p];
    scale *= 128;
  }
  throw new ProtobufError('varint longer than 10 bytes', p);
}

/** A varint read as a signed int64 (two's complement): negative values come back negative. */
export function asInt64(f: Field, buf: Uint8Array): number {
  if (f.wire !== WIRE.VARINT) return f.value;
  // Reread as BigInt for the sign: values ≥ 2^63 are negative int64.
  let v = 0n;
  let shift = 0n;
  for (let p = f.start; p < f.end; p++) {
    v |= BigInt((buf[p] as number) & 0x7f) << shift;
    shift += 7n;
  }
  v &= (1n << 64n) - 1n;
  return Number(v >= 1n << 63n ? v - (1n << 64n) : v);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** A LEN field as UTF-8 text (invalid sequences replaced: these strings are only inspected, never trusted). */
export function text(buf: Uint8Array, f: Field): string {
  return utf8.decode(buf.subarray(f.start, f.end));
}

/** The packed or unpacked values of a repeated varint field. */
export function* packedVarints(buf: Uint8Array, f: Field): Generator<number> {
  if (f.wire === WIRE.VARINT) {
    yield asInt64(f, buf);
    return;
  }
  let p = f.start;
  while (p < f.end) {
    const at = p;
    const [, next] = varint(buf, p, f.end);
    yield asInt64({ number: f.number, wire: WIRE.VARINT, value: 0, big: false, start: at, end: next }, buf);
    p = next;
  }
}
