import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { bootstrap, difference, formatEstimate, rate, wilson } from './intervals.js';

describe('intervals', () => {
  it('Wilson score intervals match published values', () => {
    // Newcombe (1998), Table I: 0/10, 1/10, 81/263.
    expect(wilson(0, 10).lo).toBe(0);
    expect(wilson(0, 10).hi).toBeCloseTo(0.2775, 4);
    expect(wilson(1, 10).lo).toBeCloseTo(0.0179, 4);
    expect(wilson(1, 10).hi).toBeCloseTo(0.4042, 4);
    expect(wilson(81, 263).lo).toBeCloseTo(0.2553, 4);
    expect(wilson(81, 263).hi).toBeCloseTo(0.3662, 4);
    expect(wilson(0, 0)).toEqual({ lo: 0, hi: 1 });
  });

  it('a difference is real only when its interval excludes 0', () => {
    expect(difference(rate(90, 100), rate(50, 100)).real).toBe(true);
    expect(difference(rate(52, 100), rate(50, 100)).real).toBe(false);
    // Newcombe method 10 on 56/70 vs 48/80: [0.0524, 0.3339].
    const d = difference(rate(56, 70), rate(48, 80));
    expect(d.lo).toBeCloseTo(0.0524, 3);
    expect(d.hi).toBeCloseTo(0.3339, 3);
  });

  it('bootstraps several statistics at once, reproducibly, with the data value in the interval', () => {
    const xs = Array.from({ length: 200 }, (_, i) => (i % 7) / 7);
    const mean = (idx: readonly number[]) => idx.reduce((s, i) => s + (xs[i] as number), 0) / idx.length;
    const a = bootstrap([200], ([i]) => [mean(i as number[]), Math.max(...(i as number[]).map((j) => xs[j] as number))], new Rng(1), 500);
    const b = bootstrap([200], ([i]) => [mean(i as number[]), Math.max(...(i as number[]).map((j) => xs[j] as number))], new Rng(1), 500);
    expect(a.estimates).toEqual(b.estimates);
    const [m] = a.estimates;
    expect(m?.lo).toBeLessThan(m?.value as number);
    expect(m?.hi).toBeGreaterThan(m?.value as number);
    expect(m?.n).toBe(200);
    expect(formatEstimate(rate(9, 10))).toBe('0.900 [0.60, 0.98] (n 10)');
  });
});
