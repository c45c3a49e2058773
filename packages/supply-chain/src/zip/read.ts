/**
 * Just enough of ZIP to find the pickles inside a PyTorch checkpoint: the central directory
 * (ZIP64 included), entry names, and the data of stored or deflated entries, with every size and
 * offset checked against the file. Entries are inflated with a cap on their output.
 */
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

export class ZipError extends Error {
  override readonly name = 'ZipError';
}

const u16 = (b: Uint8Array, p: number) => (b[p] as number) | ((b[p + 1] as number) << 8);
const u32 = (b: Uint8Array, p: number) => u16(b, p) + u16(b, p + 2) * 65536;
const u64 = (b: Uint8Array, p: number) => u32(b, p) + u32(b, p + 4) * 2 ** 32;

export function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

/** The entries of a zip file; throws ZipError on anything inconsistent. */
export function zipEntries(b: Uint8Array, maxEntries = 100_000): ZipEntry[] {
  let eocd = -1;
  for (let p = b.length - 22; p >= Math.max(0, b.length - 65_557); p--) {
    if (u32(b, p) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd === -1) throw new ZipError('no end of central directory');
  let count = u16(b, eocd + 10);
  let cdSize = u32(b, eocd + 12);
  let cdOffset = u32(b, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(b, loc) !== 0x07064b50) throw new ZipError('ZIP64 end record expected but missing');
    const rec = u64(b, loc + 8);
    if (rec + 56 > b.length || u32(b, rec) !== 0x06064b50) throw new ZipError('ZIP64 end record out of bounds');
    count = u64(b, rec + 32);
    cdSize = u64(b, rec + 40);
    cdOffset = u64(b, rec + 48);
  }
  if (count > maxEntries) throw new ZipError(`${count} entries (limit ${maxEntries})`);
  if (cdOffset + cdSize > b.length) throw new ZipError('central directory out of bounds');
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > b.length || u32(b, p) !== 0x02014b50) throw new ZipError(`central directory entry ${i} is damaged`);
    const method = u16(b, p + 10);
    let compressedSize = u32(b, p + 20);
    let size = u32(b, p + 24);
    const nameLen = u16(b, p + 28);
    const extraLen = u16(b, p + 30);
    const commentLen = u16(b, p + 32);
    let localOffset = u32(b, p + 42);
    if (p + 46 + nameLen + extraLen > b.length) throw new ZipError(`central directory entry ${i} runs past the end`);
    const name = new TextDecoder().decode(b.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: the 64-bit values, in this order, for the fields that were 0xffffffff.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(b, e);
      const len = u16(b, e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff && q + 8 <= e + 4 + len) {
          size = u64(b, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff && q + 8 <= e + 4 + len) {
          compressedSize = u64(b, q);
          q += 8;
        }
        if (localOffset === 0xffffffff && q + 8 <= e + 4 + len) localOffset = u64(b, q);
      }
      e += 4 + len;
    }
    out.push({ name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The uncompressed data of an entry, at most `maxBytes`. */
export function zipEntryData(b: Uint8Array, entry: ZipEntry, maxBytes: number): Uint8Array {
  const p = entry.localOffset;
  if (p + 30 > b.length || u32(b, p) !== 0x04034b50) throw new ZipError(`local header of ${entry.name} is damaged`);
  const start = p + 30 + u16(b, p + 26) + u16(b, p + 28);
  const end = start + entry.compressedSize;
  if (end > b.length) throw new ZipError(`data of ${entry.name} runs past the end`);
  if (entry.size > maxBytes) throw new ZipError(`${entry.name} is ${entry.size} bytes uncompressed (limit ${maxBytes})`);
  const data = b.subarray(start, end);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data, { maxOutputLength: maxBytes });
  throw new ZipError(`${entry.name} uses compression method ${entry.method}`);
}
