import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey } from '../runtime/derive-key.js';
import { Fingerprinter } from './fingerprint.js';
import { SipHash24 } from './siphash.js';

const options = (secret: string) => ({
  lo: new Float64Array(16).fill(0),
  hi: new Float64Array(16).fill(16),
  levels: 8,
  window: 4,
  keep: 5,
  secret: Buffer.from(secret),
});
const image = (seed: number) => Array.from({ length: 16 }, (_, i) => ((i * 7 + seed * 13) % 17) as number);

/** The tokens of a row computed from the definition (FNV-1a window hashes, the 5 largest, AES-256 of each): no cache. */
function keyedTokens(row: number[], secret: string): string[] {
  const q = row.map((v) => Math.min(7, Math.floor((v * 8) / 16)));
  const hashes = Array.from({ length: 13 }, (_, s) => {
    let h = (0x811c9dc5 ^ s) >>> 0;
    for (let k = s; k < s + 4; k++) h = Math.imul(h ^ (q[k] as number), 0x01000193) >>> 0;
    return h;
  });
  const top = [...new Set(hashes)].sort((a, b) => b - a).slice(0, 5);
  const cipher = createCipheriv('aes-256-ecb', deriveKey(Buffer.from(secret), 'bulwark near-duplicate windows v1'), null);
  cipher.setAutoPadding(false);
  return top.map((h) => {
    const block = Buffer.alloc(16);
    block.writeUInt32LE(h, 0);
    return cipher.update(block).toString('base64url', 0, 9);
  });
}

describe('Fingerprinter window tokens', () => {
  it('are AES-256 of the window hash (little-endian, zero-padded) under a key derived for this use, 12 base64url characters', () => {
    const row = image(1);
    expect(new Fingerprinter(options('fingerprint-test-secret')).tokens(row)).toEqual(keyedTokens(row, 'fingerprint-test-secret'));
  });

  it('answers from its cache exactly what the cipher gives, also for windows whose hashes share a cache slot', () => {
    const f = new Fingerprinter(options('fingerprint-test-secret'));
    // 2,000 varied rows: ~26,000 distinct windows in 2^17 slots, so many pairs share a slot.
    let x = 12345;
    const rows = Array.from({ length: 2000 }, () =>
      Array.from({ length: 16 }, () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return (x >>> 16) % 17;
      }),
    );
    for (let pass = 0; pass < 2; pass++) for (const r of rows) expect(f.tokens(r)).toEqual(keyedTokens(r, 'fingerprint-test-secret'));
  });

  it('gives the same tokens from its cache as from the cipher, the same across instances with one secret, and others with another secret', () => {
    const a = new Fingerprinter(options('fingerprint-test-secret'));
    const b = new Fingerprinter(options('fingerprint-test-secret'));
    const c = new Fingerprinter(options('another-secret-of-16+'));
    const rows = [1, 2, 3].map(image);
    const first = rows.map((r) => a.tokens(r));
    // a now answers from its cache (some windows recur across rows); b keys every window fresh.
    expect(rows.map((r) => a.tokens(r))).toEqual(first);
    expect(rows.map((r) => b.tokens(r))).toEqual(first);
    const other = rows.map((r) => c.tokens(r));
    expect(other.flat().some((t) => first.flat().includes(t))).toBe(false);
    for (const t of first.flat()) expect(t).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});

describe('Fingerprinter exact-repeat tokens', () => {
  it('are SipHash-2-4 of (caller hash, row as float64s) under a key derived for this use, 11 base64url characters', () => {
    const row = image(2).map((v, i) => v + i / 3);
    const caller = 'Zm9vYmFyYmF6cXV4LWNhbGxlci1oYXNo';
    // The message as documented: the hash's length, its characters, two bytes each; the row's float64s; all little-endian.
    const m = Buffer.alloc(2 + 2 * caller.length + 8 * row.length);
    m.writeUInt16LE(caller.length, 0);
    for (let i = 0; i < caller.length; i++) m.writeUInt16LE(caller.charCodeAt(i), 2 + 2 * i);
    row.forEach((v, j) => {
      m.writeDoubleLE(v, 2 + 2 * caller.length + 8 * j);
    });
    const tag = new Uint8Array(8);
    new SipHash24(deriveKey(Buffer.from('fingerprint-test-secret'), 'bulwark near-duplicate exact repeats v1').subarray(0, 16)).hash(m, m.length, tag);
    const f = new Fingerprinter(options('fingerprint-test-secret'));
    expect(f.exact(row, caller)).toBe(Buffer.from(tag).toString('base64url'));
    expect(f.exact(row, caller)).toMatch(/^[A-Za-z0-9_-]{11}$/);
  });

  it('match only a byte-identical row from the same caller, with the same secret', () => {
    const f = new Fingerprinter(options('fingerprint-test-secret'));
    const row = image(3);
    const t = f.exact(row, 'caller-a');
    expect(f.exact([...row], 'caller-a')).toBe(t);
    expect(new Fingerprinter(options('fingerprint-test-secret')).exact(row, 'caller-a')).toBe(t);
    const others = [
      f.exact(row, 'caller-b'),
      f.exact(row, 'caller-'),
      f.exact(
        row.map((v, i) => (i === 5 ? v + 1e-9 : v)),
        'caller-a',
      ),
      f.exact(
        row.map((v, i) => (i === 9 ? -0 : v)),
        'caller-a',
      ), // row[9] is 0: -0 differs in its bits
      new Fingerprinter(options('another-secret-of-16+')).exact(row, 'caller-a'),
    ];
    expect(new Set([t, ...others]).size).toBe(others.length + 1);
  });
});
