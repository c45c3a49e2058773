import { describe, expect, it } from 'vitest';
import { RememberSet } from './remember-set.js';

/** The same set kept the obvious way: a Map in order of last addition (delete, then set again). */
class Reference {
  readonly map = new Map<string, number>();
  add(m: string, t: number): boolean {
    const had = this.map.delete(m);
    this.map.set(m, t);
    return !had;
  }
  dropOldest(): string | undefined {
    const first = this.map.keys().next();
    if (first.done) return undefined;
    this.map.delete(first.value);
    return first.value;
  }
  dropAddedBefore(time: number): string[] {
    const out: string[] = [];
    for (const [m, t] of this.map) {
      if (t > time) break;
      this.map.delete(m);
      out.push(m);
    }
    return out;
  }
}

/** A deterministic generator for the sequence (xorshift32): the test must replay. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

describe('RememberSet', () => {
  it('says when each member was last added, and drops in order of last addition', () => {
    const s = new RememberSet();
    expect(s.add('a', 1)).toBe(true);
    expect(s.add('b', 2)).toBe(true);
    expect(s.add('a', 3)).toBe(false); // refreshed: moves behind b
    expect(s.addedAt('a')).toBe(3);
    expect(s.addedAt('b')).toBe(2);
    expect(s.addedAt('c')).toBeUndefined();
    expect(s.size).toBe(2);
    expect(s.dropOldest()).toBe('b');
    expect(s.dropOldest()).toBe('a');
    expect(s.dropOldest()).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it('drops members last added at or before a time, not those refreshed since', () => {
    const s = new RememberSet();
    s.add('a', 1);
    s.add('b', 2);
    s.add('a', 5);
    const dropped: string[] = [];
    s.dropAddedBefore(4, (m) => dropped.push(m));
    expect(dropped).toEqual(['b']);
    expect(s.addedAt('a')).toBe(5);
    expect(s.size).toBe(1);
  });

  it('agrees with a Map kept in order of addition over a long random sequence, and its log stays bounded', () => {
    const s = new RememberSet();
    const ref = new Reference();
    const next = rng(7);
    let t = 0;
    let rebuilds = 0;
    let peak = 0;
    for (let step = 0; step < 200_000; step++) {
      const r = next(100);
      if (r < 85) {
        // A few hot members refreshed often (stale log entries pile up), and many cold ones.
        const m = next(4) !== 0 ? `hot${next(8)}` : `m${next(5000)}`;
        const before = s.logLength;
        expect(s.add(m, t)).toBe(ref.add(m, t));
        if (s.logLength < before) rebuilds++; // an add grows the log by one, unless it rebuilt it
      } else if (r < 88) {
        expect(s.dropOldest()).toBe(ref.dropOldest());
      } else if (r < 89) {
        const cut = t - 500 - next(50);
        const dropped: string[] = [];
        s.dropAddedBefore(cut, (m) => dropped.push(m));
        expect(dropped).toEqual(ref.dropAddedBefore(cut));
      } else {
        const m = next(2) === 0 ? `hot${next(8)}` : `m${next(5000)}`;
        expect(s.addedAt(m)).toBe(ref.map.get(m));
      }
      if (next(10) === 0) t++;
      expect(s.size).toBe(ref.map.size);
      peak = Math.max(peak, s.size);
      expect(s.logLength).toBeLessThanOrEqual(2 * peak + 1025);
    }
    // The sequence did exercise the bound: the log was rebuilt from live entries many times.
    expect(rebuilds).toBeGreaterThan(10);
  });

  it('keeps its log bounded when one member is refreshed over and over', () => {
    const s = new RememberSet();
    for (let i = 0; i < 100_000; i++) s.add('same', i);
    expect(s.size).toBe(1);
    expect(s.logLength).toBeLessThanOrEqual(2 + 1025);
    expect(s.addedAt('same')).toBe(99_999);
  });
});
