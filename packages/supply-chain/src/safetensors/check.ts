/**
 * safetensors files, checked without loading any tensor: an 8-byte little-endian header length
 * (at most 100 MB), a UTF-8 JSON header of `name → { dtype, shape, data_offsets: [begin, end] }`
 * (plus an optional `__metadata__` of strings), every tensor's byte range consistent with its
 * shape and dtype, the ranges contiguous from 0 without overlap, and no bytes after the last one.
 * The format cannot carry code; what can go wrong is a header that lies about sizes and sends a
 * reader out of bounds.
 */
import { type Finding, quote } from '../findings.js';

export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPE_BYTES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function checkSafetensors(bytes: Uint8Array): Finding[] {
  const out: Finding[] = [];
  const bad = (message: string, where = '', severity: Finding['severity'] = 'high') => out.push({ rule: 'safetensors/invalid', severity, message, where });
  if (bytes.length < 8) {
    bad('shorter than its 8-byte header length');
    return out;
  }
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) {
    bad(`header of ${n} bytes (limit ${MAX_HEADER_BYTES})`);
    return out;
  }
  if (8 + n > bytes.length) {
    bad(`header of ${n} bytes runs past the end of the file`);
    return out;
  }
  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(bytes.subarray(8, 8 + n)));
  } catch {
    bad('header is not UTF-8 JSON');
    return out;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    bad('header is not a JSON object');
    return out;
  }
  const dataLength = bytes.length - 8 - n;
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Object.values(entry).some((v) => typeof v !== 'string'))
        bad('__metadata__ must map strings to strings', name);
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = quote(name, 60);
    const size = typeof e.dtype === 'string' ? DTYPE_BYTES[e.dtype] : undefined;
    if (size === undefined) {
      bad(`dtype ${quote(String(e.dtype))} is not a safetensors dtype`, where);
      continue;
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad('shape is not a list of non-negative integers', where);
      continue;
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || (offs[0] as number) > (offs[1] as number)) {
      bad('data_offsets is not [begin, end] with 0 <= begin <= end', where);
      continue;
    }
    const [begin, end] = offs as [number, number];
    const elements = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(elements * size) || elements * size !== end - begin)
      bad(`shape ${JSON.stringify(e.shape)} of ${e.dtype} needs ${elements * size} bytes, data_offsets give ${end - begin}`, where);
    if (end > dataLength) bad(`data_offsets end at ${end}, past the ${dataLength} bytes of data`, where);
    ranges.push({ name: where, begin, end });
  }
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const r of ranges) {
    if (r.begin < expected) bad(`data overlaps the previous tensor (begins at ${r.begin}, before ${expected})`, r.name);
    else if (r.begin > expected) bad(`a gap of ${r.begin - expected} bytes before it`, r.name, 'medium');
    expected = Math.max(expected, r.end);
  }
  if (expected < dataLength) bad(`${dataLength - expected} trailing bytes after the last tensor`, '', 'medium');
  return out;
}
