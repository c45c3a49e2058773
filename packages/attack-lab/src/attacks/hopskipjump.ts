/**
 * HopSkipJump (Chen, Jordan, Wainwright 2020): a decision-based evasion search that needs labels
 * only. From a starting point the model already labels otherwise, it alternates
 *   1. a binary search to the decision boundary between the original and the current point,
 *   2. an estimate of the boundary's normal from the labels of random probes around the boundary
 *      point (Monte-Carlo, baseline-corrected),
 *   3. a geometric step along that direction, halved until the label stays flipped,
 * and so walks along the boundary toward the original. The L2 variant steps along the estimate, the
 * L∞ variant along its sign. Works in per-feature standard-deviation units, on the features the
 * attacker controls, inside the data bounds.
 */
import type { Rng } from '../rng.js';
import type { Answer } from '../target/target.js';

export interface SearchContext {
  readonly x0: readonly number[];
  readonly originalLabel: number;
  /** Asks the target; undefined when refused. Counts queries. */
  readonly ask: (x: number[]) => Promise<Answer | undefined>;
  /** Queries spent on this sample so far. */
  readonly spent: () => number;
  readonly budget: number;
  readonly norm: 'linf' | 'l2';
  readonly epsilon: number;
  readonly scale: readonly number[];
  readonly bounds: readonly (readonly [number, number])[];
  readonly mutable: readonly number[];
  readonly startPool: readonly (readonly number[])[];
  readonly rng: Rng;
}

export interface HopSkipJumpOptions {
  /** Probes for the first gradient estimate (default 50; grows with √t as in the paper). */
  readonly initialProbes?: number;
  /** Most probes in one estimate (default 400). */
  readonly maxProbes?: number;
}

/** Returns an adversarial point within ε of x0 (and its label), or undefined. */
export async function hopSkipJump(c: SearchContext, options: HopSkipJumpOptions = {}): Promise<{ x: number[]; label: number } | undefined> {
  const m = c.mutable;
  const dm = m.length;
  const B0 = options.initialProbes ?? 50;
  const Bmax = options.maxProbes ?? 400;
  // Normalised coordinates: z_j = x_j / scale_j on the mutable features; the rest stay at x0.
  const toX = (z: readonly number[]) => {
    const x = [...c.x0];
    m.forEach((j, i) => {
      const [lo, hi] = c.bounds[j] as [number, number];
      const v = (z[i] as number) * (c.scale[j] as number);
      x[j] = v < lo ? lo : v > hi ? hi : v;
    });
    return x;
  };
  const toZ = (x: readonly number[]) => m.map((j) => (x[j] as number) / (c.scale[j] as number));
  const zLo = m.map((j) => (c.bounds[j] as [number, number])[0] / (c.scale[j] as number));
  const zHi = m.map((j) => (c.bounds[j] as [number, number])[1] / (c.scale[j] as number));
  /** Into the data box, so that distances are those of the rows actually sent. */
  const inBox = (z: number[]) => z.map((v, i) => (v < (zLo[i] as number) ? (zLo[i] as number) : v > (zHi[i] as number) ? (zHi[i] as number) : v));
  const z0 = toZ(c.x0);
  const dist = (z: readonly number[]) => {
    let s = 0;
    let mx = 0;
    for (let i = 0; i < dm; i++) {
      const d = Math.abs((z[i] as number) - (z0[i] as number));
      s += d * d;
      if (d > mx) mx = d;
    }
    return c.norm === 'linf' ? mx : Math.sqrt(s);
  };
  let lastLabel = c.originalLabel;
  const adversarial = async (z: readonly number[]): Promise<boolean | undefined> => {
    if (c.spent() >= c.budget) return undefined;
    const a = await c.ask(toX(z));
    if (a === undefined) return undefined;
    if (a.label !== c.originalLabel) lastLabel = a.label;
    return a.label !== c.originalLabel;
  };
  const range =
    m.reduce((s, j) => s + ((c.bounds[j] as [number, number])[1] - (c.bounds[j] as [number, number])[0]) / (c.scale[j] as number), 0) / Math.max(1, dm);
  const theta = c.norm === 'l2' ? range / dm ** 1.5 : range / dm ** 2;

  // 0. A starting point labelled otherwise: the nearest rows of the attacker's data, else noise.
  let zAdv: number[] | undefined;
  const pool = [...c.startPool].map(toZ).sort((a, b) => dist(a) - dist(b));
  for (const cand of pool.slice(0, 10)) {
    const a = await adversarial(cand);
    if (a === undefined) return undefined;
    if (a) {
      zAdv = cand;
      break;
    }
  }
  for (let tries = 0; zAdv === undefined && tries < 50; tries++) {
    const cand = m.map((j) => {
      const [lo, hi] = c.bounds[j] as [number, number];
      return (lo + c.rng.next() * (hi - lo)) / (c.scale[j] as number);
    });
    const a = await adversarial(cand);
    if (a === undefined) return undefined;
    if (a) zAdv = cand;
  }
  if (zAdv === undefined) return undefined;

  /** Binary search between z0 (not adversarial) and an adversarial point, to the boundary. */
  const toBoundary = async (zA: number[]): Promise<number[] | undefined> => {
    if (c.norm === 'l2') {
      let lo = 0;
      let hi = 1;
      const d = dist(zA);
      while ((hi - lo) * d > theta) {
        const mid = (lo + hi) / 2;
        const a = await adversarial(blend(mid));
        if (a === undefined) break;
        if (a) hi = mid;
        else lo = mid;
      }
      return blend(hi);
      function blend(t: number) {
        return zA.map((v, i) => (z0[i] as number) + t * (v - (z0[i] as number)));
      }
    }
    let lo = 0;
    let hi = dist(zA);
    const clip = (r: number) => zA.map((v, i) => Math.min((z0[i] as number) + r, Math.max((z0[i] as number) - r, v)));
    while (hi - lo > theta) {
      const mid = (lo + hi) / 2;
      const a = await adversarial(clip(mid));
      if (a === undefined) break;
      if (a) hi = mid;
      else lo = mid;
    }
    return clip(hi);
  };

  let z = await toBoundary(zAdv);
  if (z === undefined) return undefined;
  let d = dist(z);
  for (let t = 1; d > c.epsilon && c.spent() < c.budget; t++) {
    // Gradient direction at the boundary point, from the labels of random probes.
    const delta = c.norm === 'l2' ? Math.sqrt(dm) * theta * d : dm * theta * d;
    const probes = Math.min(Bmax, Math.round(B0 * Math.sqrt(t)));
    const us: number[][] = [];
    const phis: number[] = [];
    for (let b = 0; b < probes; b++) {
      const u = m.map(() => c.rng.normal());
      const n = Math.sqrt(u.reduce((s, v) => s + v * v, 0)) || 1;
      for (let i = 0; i < dm; i++) u[i] = (u[i] as number) / n;
      const a = await adversarial(inBox(z.map((v, i) => v + delta * (u[i] as number))));
      if (a === undefined) break;
      us.push(u);
      phis.push(a ? 1 : -1);
    }
    if (us.length < 2) break;
    const mean = phis.reduce((s, v) => s + v, 0) / phis.length;
    const v = new Array<number>(dm).fill(0);
    const allSame = Math.abs(mean) === 1;
    us.forEach((u, b) => {
      const w = allSame ? (phis[b] as number) : (phis[b] as number) - mean;
      for (let i = 0; i < dm; i++) v[i] = (v[i] as number) + w * (u[i] as number);
    });
    const dir = c.norm === 'l2' ? normalise(v) : v.map((x) => Math.sign(x));
    // Geometric step: halve until the label stays flipped.
    let xi = d / Math.sqrt(t);
    let next: number[] | undefined;
    while (xi > theta && c.spent() < c.budget) {
      const cand = inBox(z.map((val, i) => val + xi * (dir[i] as number)));
      const a = await adversarial(cand);
      if (a === undefined) break;
      if (a) {
        next = cand;
        break;
      }
      xi /= 2;
    }
    // No step kept the label flipped: estimate again, with more probes (t grows).
    if (next === undefined) continue;
    const onBoundary = await toBoundary(next);
    if (onBoundary === undefined) break;
    if (dist(onBoundary) < d) {
      z = onBoundary;
      d = dist(z);
    }
  }
  if (d > c.epsilon) return undefined;
  // The label of the point returned (multi-class: not necessarily the last flip seen).
  const final = toX(z);
  const a = c.spent() < c.budget ? await c.ask(final) : undefined;
  return a !== undefined && a.label === c.originalLabel ? undefined : { x: final, label: a?.label ?? lastLabel };
}

function normalise(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / n);
}
