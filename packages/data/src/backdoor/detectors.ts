/**
 * Backdoor detection from a model's hidden activations on its training rows, per class (the
 * class a row is labelled; a poisoned row carries the attacker's target label):
 *
 * - **Spectral signatures** (Tran, Li and Madry, NeurIPS 2018): centre the class's
 *   representations, take their top right singular vector v, score each row (r − r̄)·v squared;
 *   the poisoned rows of a class stand out along v. The rows with the top 1.5·ε·n scores are
 *   flagged in every class, ε the expected poisoned share (the paper's rule: the target class
 *   is unknown, so every class is trimmed).
 * - **Activation clustering** (Chen et al., "Detecting Backdoor Attacks on Deep Neural Networks
 *   by Activation Clustering", 2018): reduce the class's representations to 10 dimensions, split
 *   them in two by k-means; a cluster holding less than `maxRelativeSize` (0.35) of the class is
 *   flagged (the "relative size" analysis; `minSilhouette` also asks the split to be that well
 *   separated, off by default). The paper reduces with ICA; principal components are used here (deterministic, and
 *   the separation k-means needs is in the leading directions either way).
 *
 * Everything is deterministic (power iteration from a fixed start, k-means from the two most
 * distant points): the same model and rows give the same flags.
 */

export interface ClassResult {
  readonly label: number;
  readonly rows: number;
  /** Row indices flagged in this class. */
  readonly flagged: readonly number[];
  /** Activation clustering: the smaller cluster's share of the class, and the split's mean silhouette. */
  readonly smallerShare?: number;
  readonly silhouette?: number;
}

export interface BackdoorResult {
  readonly method: 'spectral-signatures' | 'activation-clustering';
  readonly classes: readonly ClassResult[];
  /** Every flagged row index, ascending. */
  readonly flagged: readonly number[];
}

type Rows = readonly ArrayLike<number>[];

function byClass(labels: ArrayLike<number>): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    let list = m.get(y);
    if (list === undefined) {
      list = [];
      m.set(y, list);
    }
    list.push(i);
  }
  return new Map([...m].sort((a, b) => a[0] - b[0]));
}

/** The class's rows, centred: n × w, row-major. */
function centred(acts: Rows, idx: readonly number[]): { x: Float64Array; w: number } {
  const w = acts[idx[0] as number]?.length ?? 0;
  const n = idx.length;
  const mean = new Float64Array(w);
  for (const i of idx) {
    const r = acts[i] as ArrayLike<number>;
    for (let j = 0; j < w; j++) mean[j] = (mean[j] as number) + (r[j] as number) / n;
  }
  const x = new Float64Array(n * w);
  idx.forEach((i, k) => {
    const r = acts[i] as ArrayLike<number>;
    for (let j = 0; j < w; j++) x[k * w + j] = (r[j] as number) - (mean[j] as number);
  });
  return { x, w };
}

/** The top `k` eigenvectors of XᵀX (power iteration with deflation, from fixed starts). */
export function topComponents(x: Float64Array, n: number, w: number, k: number, iterations = 300): Float64Array[] {
  const cov = new Float64Array(w * w);
  for (let r = 0; r < n; r++)
    for (let a = 0; a < w; a++) {
      const xa = x[r * w + a] as number;
      if (xa === 0) continue;
      for (let b = 0; b < w; b++) cov[a * w + b] = (cov[a * w + b] as number) + xa * (x[r * w + b] as number);
    }
  const out: Float64Array[] = [];
  for (let c = 0; c < Math.min(k, w); c++) {
    let v = new Float64Array(w).map((_, j) => 1 + ((j * 7 + c * 3) % 11) / 11);
    for (let it = 0; it < iterations; it++) {
      const next = new Float64Array(w);
      for (let a = 0; a < w; a++) {
        let s = 0;
        for (let b = 0; b < w; b++) s += (cov[a * w + b] as number) * (v[b] as number);
        next[a] = s;
      }
      // Deflate: remove the components already found.
      for (const u of out) {
        let d = 0;
        for (let j = 0; j < w; j++) d += (next[j] as number) * (u[j] as number);
        for (let j = 0; j < w; j++) next[j] = (next[j] as number) - d * (u[j] as number);
      }
      let norm = 0;
      for (let j = 0; j < w; j++) norm += (next[j] as number) ** 2;
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      for (let j = 0; j < w; j++) next[j] = (next[j] as number) / norm;
      v = next;
    }
    out.push(v);
  }
  return out;
}

/** Spectral signatures; `epsilon` is the expected share of poisoned rows (default 0.05). */
export function spectralSignatures(acts: Rows, labels: ArrayLike<number>, options: { readonly epsilon?: number } = {}): BackdoorResult {
  if (acts.length !== labels.length) throw new RangeError(`${acts.length} activation rows for ${labels.length} labels`);
  const eps = options.epsilon ?? 0.05;
  const classes: ClassResult[] = [];
  for (const [label, idx] of byClass(labels)) {
    const { x, w } = centred(acts, idx);
    const [v] = topComponents(x, idx.length, w, 1);
    const scores = idx.map((_, k) => {
      let d = 0;
      for (let j = 0; j < w; j++) d += (x[k * w + j] as number) * ((v as Float64Array)[j] as number);
      return d * d;
    });
    const remove = Math.min(idx.length, Math.floor(1.5 * eps * idx.length));
    const order = idx.map((_, k) => k).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
    classes.push({ label, rows: idx.length, flagged: order.slice(0, remove).map((k) => idx[k] as number) });
  }
  return { method: 'spectral-signatures', classes, flagged: classes.flatMap((c) => c.flagged).sort((a, b) => a - b) };
}

/** Activation clustering (see the header); `maxRelativeSize` default 0.35, `components` default 10. */
export function activationClustering(
  acts: Rows,
  labels: ArrayLike<number>,
  options: { readonly maxRelativeSize?: number; readonly components?: number; readonly minSilhouette?: number } = {},
): BackdoorResult {
  if (acts.length !== labels.length) throw new RangeError(`${acts.length} activation rows for ${labels.length} labels`);
  const maxSize = options.maxRelativeSize ?? 0.35;
  const minSilhouette = options.minSilhouette ?? -1; // off by default: see docs/data.md for what it separates
  const dims = options.components ?? 10;
  const classes: ClassResult[] = [];
  for (const [label, idx] of byClass(labels)) {
    const n = idx.length;
    if (n < 4) {
      classes.push({ label, rows: n, flagged: [] });
      continue;
    }
    const { x, w } = centred(acts, idx);
    const comps = topComponents(x, n, w, dims);
    const z = idx.map((_, k) => comps.map((u) => u.reduce((s, uj, j) => s + uj * (x[k * w + j] as number), 0)));
    const assign = twoMeans(z);
    const ones = assign.reduce((s, a) => s + a, 0);
    const small = ones <= n - ones ? 1 : 0;
    const size = Math.min(ones, n - ones) / n;
    const sil = silhouette(z, assign);
    const suspect = size < maxSize && sil >= minSilhouette;
    classes.push({ label, rows: n, flagged: suspect ? idx.filter((_, k) => assign[k] === small) : [], smallerShare: size, silhouette: sil });
  }
  return { method: 'activation-clustering', classes, flagged: classes.flatMap((c) => c.flagged).sort((a, b) => a - b) };
}

/** Mean silhouette of a two-way split: how much closer each point is to its own cluster than to the other (−1 … 1). */
function silhouette(z: readonly number[][], assign: readonly number[]): number {
  const n = z.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sums = [0, 0];
    const counts = [0, 0];
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const c = assign[j] as number;
      sums[c] = (sums[c] as number) + Math.sqrt((z[i] as number[]).reduce((s, v, k) => s + (v - ((z[j] as number[])[k] as number)) ** 2, 0));
      counts[c] = (counts[c] as number) + 1;
    }
    const own = assign[i] as number;
    if ((counts[own] as number) === 0) continue;
    const a = (sums[own] as number) / (counts[own] as number);
    const b = (counts[1 - own] as number) > 0 ? (sums[1 - own] as number) / (counts[1 - own] as number) : 0;
    total += Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
  }
  return n > 0 ? total / n : 0;
}

/** k-means with k = 2, started from the point farthest from the mean and the point farthest from it. */
function twoMeans(z: readonly number[][]): number[] {
  const n = z.length;
  const d = z[0]?.length ?? 0;
  const dist = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, j) => s + (v - (b[j] as number)) ** 2, 0);
  const zero = new Array<number>(d).fill(0);
  let a = 0;
  for (let i = 1; i < n; i++) if (dist(z[i] as number[], zero) > dist(z[a] as number[], zero)) a = i;
  let b = a === 0 ? 1 : 0;
  for (let i = 0; i < n; i++) if (dist(z[i] as number[], z[a] as number[]) > dist(z[b] as number[], z[a] as number[])) b = i;
  let centres = [[...(z[a] as number[])], [...(z[b] as number[])]];
  let assign = new Array<number>(n).fill(0);
  for (let it = 0; it < 100; it++) {
    const next = z.map((p) => (dist(p, centres[0] as number[]) <= dist(p, centres[1] as number[]) ? 0 : 1));
    const same = next.every((v, i) => v === assign[i]);
    assign = next;
    centres = [0, 1].map((c) => {
      const members = z.filter((_, i) => assign[i] === c);
      if (members.length === 0) return centres[c] as number[];
      return new Array<number>(d).fill(0).map((_, j) => members.reduce((s, p) => s + (p[j] as number), 0) / members.length);
    });
    if (same && it > 0) break;
  }
  return assign;
}
