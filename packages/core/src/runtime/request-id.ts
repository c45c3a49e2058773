/**
 * Request ids: random UUIDs (version 4, RFC 9562), from node:crypto's CSPRNG.
 *
 * Not `crypto.randomUUID`: it returns a string built by concatenating 20 pieces, and every later
 * use of it (the `x-request-id` header's character check, the header line, the socket write)
 * flattens or copies that rope again; in `bulwark serve` at saturation that cost ~4 µs a request,
 * measured. This one writes the 36 characters into a buffer and reads them back as one flat
 * string. The random bytes come from a 4 KiB pool filled by `randomFillSync` (one call per 256
 * ids). They are not wiped after use, unlike `cryptoRandom`'s: an id is public (it is sent to the
 * caller) and no other draw shares this pool.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;
const text = Buffer.alloc(36);

/** ASCII codes of the two hex digits of each byte value. */
const HIGH = new Uint8Array(256);
const LOW = new Uint8Array(256);
const DIGITS = '0123456789abcdef';
for (let b = 0; b < 256; b++) {
  HIGH[b] = DIGITS.charCodeAt(b >> 4);
  LOW[b] = DIGITS.charCodeAt(b & 15);
}
const DASH = 45;

/** A random version-4 UUID in its canonical lowercase form, e.g. `9b70c4a9-8305-4ed2-9e1d-e2c8d25d964d`. */
export function randomRequestId(): string {
  if (offset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const o = offset;
  offset += 16;
  pool[o + 6] = ((pool[o + 6] as number) & 0x0f) | 0x40; // version 4
  pool[o + 8] = ((pool[o + 8] as number) & 0x3f) | 0x80; // variant 10
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[j++] = DASH;
    const b = pool[o + i] as number;
    text[j++] = HIGH[b] as number;
    text[j++] = LOW[b] as number;
  }
  return text.toString('latin1', 0, 36);
}
