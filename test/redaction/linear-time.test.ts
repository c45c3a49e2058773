/**
 * Redaction runs on text an attacker shapes, so every scanner must take time linear in its input.
 * This test does not time anything (tests never assert wall-clock times): it counts the work, as
 * the characters the scanners read (String.prototype.charCodeAt, codePointAt, indexOf, startsWith,
 * slice and the regular-expression scans, instrumented for this file only), on adversarial
 * strings of 16 KiB to 1 MiB, and checks that doubling the input at most doubles the work (with
 * room: ≤ 2.5×). A rescan after each failed candidate shows up as a ratio near 4. `pnpm redaction`
 * measures the same strings by the clock and records the figures in docs/redaction.md.
 */
import { builtinDetectors, compilePattern, type Detector, locateMatches } from '@bulwark/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADVERSARIAL } from '../helpers/adversarial-strings.js';

let work = 0;
const saved: [object, string, PropertyDescriptor][] = [];
function count<T extends object>(proto: T, name: string, cost: (self: unknown, args: unknown[], result: unknown, lastIndexBefore: number) => number): void {
  const descriptor = Object.getOwnPropertyDescriptor(proto, name) as PropertyDescriptor;
  saved.push([proto, name, descriptor]);
  const original = descriptor.value as (...args: unknown[]) => unknown;
  Object.defineProperty(proto, name, {
    ...descriptor,
    value: function (this: unknown, ...args: unknown[]) {
      const before = this instanceof RegExp ? this.lastIndex : 0;
      const result = original.apply(this, args);
      work += cost(this, args, result, before);
      return result;
    },
  });
}

beforeAll(() => {
  count(String.prototype, 'charCodeAt', () => 1);
  count(String.prototype, 'codePointAt', () => 1);
  count(String.prototype, 'startsWith', (_s, a) => String(a[0]).length);
  count(String.prototype, 'slice', (_s, _a, r) => (r as string).length);
  count(String.prototype, 'indexOf', (s, a, r) => {
    const from = (a[1] as number | undefined) ?? 0;
    return ((r as number) < 0 ? (s as string).length : (r as number)) - from + 1;
  });
  // A scan by the regular-expression engine: the distance it covered (the whole input when not global).
  const scanned = (re: unknown, a: unknown[], r: unknown, before: number) => {
    const input = String(a[0]);
    if (!(re as RegExp).global) return input.length;
    return (r === false || r === null ? input.length : (re as RegExp).lastIndex) - before + 1;
  };
  count(RegExp.prototype, 'test', scanned);
  count(RegExp.prototype, 'exec', scanned);
});
afterAll(() => {
  for (const [proto, name, d] of saved) Object.defineProperty(proto, name, d);
});

/** From 16 KiB up, checked as they come: a quadratic scanner fails at the first doubling instead of hanging on 1 MiB. */
const SIZES = [1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20];

function detectorsFor(key: string): readonly Detector[] {
  if (key === 'full set') return builtinDetectors;
  if (key.startsWith('pattern:')) {
    const p = compilePattern(key.slice(8), { ignoreCase: true });
    return [{ id: 'user', kind: 'pii', description: p.source, scan: p.scan }];
  }
  return builtinDetectors.filter((d) => d.id === key);
}

it('has adversarial strings for every built-in detector and the user-pattern path', () => {
  for (const d of builtinDetectors) expect(ADVERSARIAL[d.id], d.id).toBeDefined();
  expect(Object.keys(ADVERSARIAL).some((k) => k.startsWith('pattern:'))).toBe(true);
});

for (const [key, makers] of Object.entries(ADVERSARIAL)) {
  it(`${key}: work grows linearly from 16 KiB to 1 MiB`, () => {
    const detectors = detectorsFor(key);
    expect(detectors.length).toBeGreaterThan(0);
    makers.forEach((make, m) => {
      const works: number[] = [];
      for (const n of SIZES) {
        const text = make(n);
        work = 0;
        locateMatches(text, detectors);
        works.push(work);
        if (works.length > 1) {
          const ratio = work / (works[works.length - 2] as number);
          expect(ratio, `${key} string ${m}: work ${works.join(' → ')}`).toBeLessThanOrEqual(2.5);
        }
      }
      // The work is counted at all (an instrumentation that saw nothing would pass any ratio).
      expect(works[0]).toBeGreaterThan(SIZES[0] as number);
    });
  }, 120_000);
}
