import { seededUniform } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import { findLabelIssues, LabelIssueError } from './confident-learning.js';

const rng = seededUniform;

/** n rows of 3 classes: confident probabilities for most, ambiguous ones for some; `flip` of the labels moved to another class. */
function dataset(n: number, flip: number, seed: number) {
  const r = rng(seed);
  const labels: number[] = [];
  const probs: number[][] = [];
  const flipped = new Set<number>();
  for (let i = 0; i < n; i++) {
    const truth = Math.floor(r() * 3);
    const sure = r() < 0.9;
    const top = sure ? 0.8 + 0.15 * r() : 0.4 + 0.05 * r();
    const rest = (1 - top) / 2;
    probs.push([0, 1, 2].map((j) => (j === truth ? top : rest)));
    let y = truth;
    if (r() < flip) {
      y = (truth + 1 + Math.floor(r() * 2)) % 3;
      flipped.add(i);
    }
    labels.push(y);
  }
  return { labels, probs, flipped };
}

describe('findLabelIssues (confident learning)', () => {
  it('finds flipped labels with high precision and recall, and estimates how many there are', () => {
    const { labels, probs, flipped } = dataset(3000, 0.1, 1);
    const r = findLabelIssues(labels, probs);
    const tp = r.ranked.filter((i) => flipped.has(i)).length;
    expect(tp / r.ranked.length).toBeGreaterThan(0.95);
    expect(tp / flipped.size).toBeGreaterThan(0.9);
    expect(Math.abs(r.estimatedErrors - flipped.size) / flipped.size).toBeLessThan(0.15);
    const sum = r.joint.flat().reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 9);
    // Ranked by self-confidence, lowest first; never a row whose label is the model's prediction.
    for (let i = 1; i < r.ranked.length; i++)
      expect(r.selfConfidence[r.ranked[i] as number]).toBeGreaterThanOrEqual(r.selfConfidence[r.ranked[i - 1] as number] as number);
    for (const i of r.ranked) expect(Math.max(...(probs[i] as number[]))).not.toBe((probs[i] as number[])[labels[i] as number]);
  });

  it('flags next to nothing when the labels are clean', () => {
    const { labels, probs } = dataset(3000, 0, 2);
    const r = findLabelIssues(labels, probs);
    expect(r.ranked.length).toBeLessThan(15);
    expect(r.estimatedErrors).toBeLessThan(30);
  });

  it('refuses inputs that cannot be probabilities of the labels', () => {
    expect(() => findLabelIssues([0, 1], [[1, 0]])).toThrow(LabelIssueError);
    expect(() =>
      findLabelIssues(
        [0, 3],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    ).toThrow(/label 3 is not a class/);
    expect(() => findLabelIssues([0], [[0.7, 0.7]])).toThrow(/sum to 1.400/);
    expect(() => findLabelIssues([0], [[1]])).toThrow(/at least two classes/);
    expect(() => findLabelIssues([0], [[Number.NaN, 1]])).toThrow(/in \[0, 1\]/);
  });
});
