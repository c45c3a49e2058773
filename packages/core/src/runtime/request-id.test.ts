import { describe, expect, it } from 'vitest';
import { randomRequestId } from './request-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomRequestId', () => {
  it('returns canonical version-4 UUIDs, distinct across pool refills', () => {
    const seen = new Set<string>();
    // 3,000 ids: more than ten refills of the 256-id pool.
    for (let i = 0; i < 3000; i++) {
      const id = randomRequestId();
      expect(id).toMatch(UUID_V4);
      seen.add(id);
    }
    expect(seen.size).toBe(3000);
  });

  it('returns a string of its own each time (the text buffer is reused, the string is not)', () => {
    const a = randomRequestId();
    const copy = `${a}`;
    randomRequestId();
    expect(a).toBe(copy);
  });

  it('draws every random nibble uniformly (chi-square over 4,000 ids, 30 nibbles each)', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 4000; i++) {
      const hex = randomRequestId().replaceAll('-', '');
      for (let k = 0; k < 32; k++) {
        if (k === 12 || k === 16) continue; // the version nibble, and the variant's two fixed bits
        const v = Number.parseInt(hex[k] as string, 16);
        counts[v] = (counts[v] ?? 0) + 1;
      }
    }
    const expected = (4000 * 30) / 16;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 15 degrees of freedom: P(chi2 > 50) ≈ 1e-5.
    expect(chi2).toBeLessThan(50);
  });
});
