import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { advantage, auc, roc, tprAtFpr } from './metrics.js';
import { argmax, Mlp, oneHot } from './mlp.js';

describe('membership metrics', () => {
  it('perfect separation: AUC 1, advantage 1', () => {
    const r = roc([0.9, 0.8, 0.95], [0.1, 0.2, 0.3]);
    expect(auc(r)).toBe(1);
    expect(advantage(r)).toBe(1);
    expect(tprAtFpr(r, 0.01)).toBe(1);
  });
  it('a constant score is chance: AUC 0.5, advantage 0 (ties are not a lucky order)', () => {
    const r = roc(new Array(50).fill(1), new Array(50).fill(1));
    expect(auc(r)).toBe(0.5);
    expect(advantage(r)).toBe(0);
  });
  it('matches a hand-computed case', () => {
    // members 3, 1; non-members 2, 0: pairs (3>2, 3>0, 1<2, 1>0) → AUC 3/4.
    expect(auc(roc([3, 1], [2, 0]))).toBe(0.75);
    expect(advantage(roc([3, 1], [2, 0]))).toBe(0.5);
  });
});

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xs);
  });
  it('draws uniform values in [0,1) with the right mean', () => {
    const r = new Rng(1);
    const n = 100_000;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = r.next();
      expect(v >= 0 && v < 1).toBe(true);
      s += v;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.01);
  });
});

describe('Mlp', () => {
  it('learns a non-linear boundary (XOR-like quadrants)', () => {
    const r = new Rng(3);
    const xs = Array.from({ length: 800 }, () => [r.next() * 2 - 1, r.next() * 2 - 1]);
    const ys = xs.map(([a = 0, b = 0]) => (a * b > 0 ? 1 : 0));
    const m = new Mlp({ inputs: 2, classes: 2, hidden: 16 }, new Rng(4));
    m.fit(
      xs,
      ys.map((y) => oneHot(y, 2)),
      { epochs: 150, learningRate: 0.02 },
      new Rng(5),
    );
    const acc = xs.filter((x, i) => argmax(m.predictRow(x)) === ys[i]).length / xs.length;
    expect(acc).toBeGreaterThan(0.93);
  });
});
