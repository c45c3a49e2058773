/**
 * A small multilayer perceptron trained with Adam, for surrogate models (extraction) and shadow
 * and attack models (membership inference). One hidden ReLU layer, or none (logistic regression).
 * Trains on soft targets (probability vectors), so hard labels are one-hot targets.
 */
import type { Rng } from '../rng.js';

export interface MlpOptions {
  readonly inputs: number;
  readonly classes: number;
  /** Hidden units; 0 gives multinomial logistic regression. */
  readonly hidden: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly l2?: number;
  /**
   * Input scaling: `standardize` (default: each feature to mean 0, sd 1 on the training rows) or a
   * fixed scaling (e.g. pixels / 16, as a target trained that way was): it decides how noise in
   * rarely-varying features moves the model, which shadow models must copy.
   */
  readonly scaling?: 'standardize' | { readonly mean: readonly number[]; readonly std: readonly number[] };
}

export class Mlp {
  readonly inputs: number;
  readonly classes: number;
  readonly hidden: number;
  /** Feature standardisation, fitted on the training data. */
  mean: Float64Array;
  std: Float64Array;
  private w1: Float64Array;
  private b1: Float64Array;
  private w2: Float64Array;
  private b2: Float64Array;

  constructor(o: MlpOptions, rng: Rng) {
    this.inputs = o.inputs;
    this.classes = o.classes;
    this.hidden = o.hidden;
    const h = o.hidden;
    const inner = h === 0 ? o.inputs : h;
    this.mean = new Float64Array(o.inputs);
    this.std = new Float64Array(o.inputs).fill(1);
    this.w1 = init(o.inputs * h, Math.sqrt(2 / o.inputs), rng);
    this.b1 = new Float64Array(h);
    this.w2 = init(inner * o.classes, Math.sqrt(1 / inner), rng);
    this.b2 = new Float64Array(o.classes);
  }

  /** Class probabilities of one row. */
  predictRow(x: readonly number[]): number[] {
    const z = new Float64Array(this.inputs);
    for (let i = 0; i < this.inputs; i++) z[i] = ((x[i] as number) - (this.mean[i] as number)) / (this.std[i] as number);
    const hidden = this.forwardHidden(z);
    return Array.from(this.forwardOut(hidden));
  }

  predict(rows: readonly (readonly number[])[]): number[][] {
    return rows.map((r) => this.predictRow(r));
  }

  /** Fits the model; `targets[i]` is a probability vector over classes. */
  fit(rows: readonly (readonly number[])[], targets: readonly (readonly number[])[], o: Partial<MlpOptions>, rng: Rng): void {
    const n = rows.length;
    if (n === 0) return;
    const d = this.inputs;
    const scaling = o.scaling ?? 'standardize';
    if (scaling !== 'standardize') {
      for (let i = 0; i < d; i++) {
        this.mean[i] = scaling.mean[i] ?? 0;
        this.std[i] = scaling.std[i] || 1;
      }
    } else {
      for (let i = 0; i < d; i++) {
        let s = 0;
        let s2 = 0;
        for (const r of rows) {
          s += r[i] as number;
          s2 += (r[i] as number) ** 2;
        }
        const m = s / n;
        this.mean[i] = m;
        this.std[i] = Math.sqrt(Math.max(s2 / n - m * m, 1e-12)) || 1;
      }
    }
    const X = rows.map((r) => Float64Array.from({ length: d }, (_, i) => ((r[i] as number) - (this.mean[i] as number)) / (this.std[i] as number)));
    const epochs = o.epochs ?? 40;
    const batch = o.batchSize ?? 32;
    const lr = o.learningRate ?? 0.01;
    const l2 = o.l2 ?? 1e-4;
    const params = [this.w1, this.b1, this.w2, this.b2];
    const grads = params.map((p) => new Float64Array(p.length));
    const m1 = params.map((p) => new Float64Array(p.length));
    const m2 = params.map((p) => new Float64Array(p.length));
    let t = 0;
    const order = Array.from({ length: n }, (_, i) => i);
    for (let e = 0; e < epochs; e++) {
      const perm = rng.shuffle(order);
      for (let start = 0; start < n; start += batch) {
        for (const g of grads) g.fill(0);
        const end = Math.min(n, start + batch);
        for (let k = start; k < end; k++) this.backward(X[perm[k] as number] as Float64Array, targets[perm[k] as number] as readonly number[], grads);
        const scale = 1 / (end - start);
        t++;
        const c1 = 1 - 0.9 ** t;
        const c2 = 1 - 0.999 ** t;
        params.forEach((p, pi) => {
          const g = grads[pi] as Float64Array;
          const a = m1[pi] as Float64Array;
          const b = m2[pi] as Float64Array;
          const decay = pi % 2 === 0 ? l2 : 0; // weights only
          for (let j = 0; j < p.length; j++) {
            const gj = (g[j] as number) * scale + decay * (p[j] as number);
            a[j] = 0.9 * (a[j] as number) + 0.1 * gj;
            b[j] = 0.999 * (b[j] as number) + 0.001 * gj * gj;
            p[j] = (p[j] as number) - (lr * ((a[j] as number) / c1)) / (Math.sqrt((b[j] as number) / c2) + 1e-8);
          }
        });
      }
    }
  }

  // Loops run along contiguous memory (input-major weights), and the per-example buffers are
  // reused: training the 256-unit shadow models of the membership attacks is the lab's hot path.
  private forwardHidden(z: Float64Array, out: Float64Array = new Float64Array(this.hidden)): Float64Array {
    const h = this.hidden;
    if (h === 0) return z;
    const w1 = this.w1;
    out.set(this.b1);
    for (let i = 0; i < this.inputs; i++) {
      const zi = z[i] as number;
      if (zi === 0) continue;
      const base = i * h;
      for (let j = 0; j < h; j++) out[j] = (out[j] as number) + zi * (w1[base + j] as number);
    }
    for (let j = 0; j < h; j++) if ((out[j] as number) < 0) out[j] = 0;
    return out;
  }

  private forwardOut(hidden: Float64Array, logits: Float64Array = new Float64Array(this.classes)): Float64Array {
    const k = this.classes;
    const inner = hidden.length;
    const w2 = this.w2;
    logits.set(this.b2);
    for (let j = 0; j < inner; j++) {
      const hj = hidden[j] as number;
      if (hj === 0) continue;
      const base = j * k;
      for (let c = 0; c < k; c++) logits[c] = (logits[c] as number) + hj * (w2[base + c] as number);
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) if ((logits[c] as number) > max) max = logits[c] as number;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      logits[c] = Math.exp((logits[c] as number) - max);
      sum += logits[c] as number;
    }
    for (let c = 0; c < k; c++) logits[c] = (logits[c] as number) / sum;
    return logits;
  }

  #scratch: { hidden: Float64Array; p: Float64Array; dOut: Float64Array; dh: Float64Array } | undefined;

  /** Adds the cross-entropy gradient of one example to `grads`. */
  private backward(z: Float64Array, target: readonly number[], grads: Float64Array[]): void {
    const h = this.hidden;
    const k = this.classes;
    if (this.#scratch === undefined)
      this.#scratch = { hidden: new Float64Array(h), p: new Float64Array(k), dOut: new Float64Array(k), dh: new Float64Array(h) };
    const sc = this.#scratch;
    const hidden = this.forwardHidden(z, sc.hidden);
    const p = this.forwardOut(hidden, sc.p);
    const inner = hidden.length;
    const [gw1, gb1, gw2, gb2] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];
    const dOut = sc.dOut;
    for (let c = 0; c < k; c++) dOut[c] = (p[c] as number) - (target[c] ?? 0);
    for (let c = 0; c < k; c++) gb2[c] = (gb2[c] as number) + (dOut[c] as number);
    for (let j = 0; j < inner; j++) {
      const hj = hidden[j] as number;
      if (hj === 0) continue;
      const base = j * k;
      for (let c = 0; c < k; c++) gw2[base + c] = (gw2[base + c] as number) + hj * (dOut[c] as number);
    }
    if (h === 0) return;
    const dh = sc.dh;
    const w2 = this.w2;
    for (let j = 0; j < h; j++) {
      if ((hidden[j] as number) <= 0) {
        dh[j] = 0;
        continue;
      }
      let s = 0;
      const base = j * k;
      for (let c = 0; c < k; c++) s += (w2[base + c] as number) * (dOut[c] as number);
      dh[j] = s;
      gb1[j] = (gb1[j] as number) + s;
    }
    for (let i = 0; i < this.inputs; i++) {
      const zi = z[i] as number;
      if (zi === 0) continue;
      const base = i * h;
      for (let j = 0; j < h; j++) gw1[base + j] = (gw1[base + j] as number) + zi * (dh[j] as number);
    }
  }

  /**
   * Gradient of the cross-entropy loss of class `label` with respect to the raw input row (the
   * white-box step of transfer attacks on a surrogate).
   */
  inputGradient(x: readonly number[], label: number): number[] {
    const h = this.hidden;
    const k = this.classes;
    const z = new Float64Array(this.inputs);
    for (let i = 0; i < this.inputs; i++) z[i] = ((x[i] as number) - (this.mean[i] as number)) / (this.std[i] as number);
    const hidden = this.forwardHidden(z);
    const p = this.forwardOut(hidden);
    const dOut = new Float64Array(k);
    for (let c = 0; c < k; c++) dOut[c] = (p[c] as number) - (c === label ? 1 : 0);
    const inner = hidden.length;
    const dInner = new Float64Array(inner);
    for (let j = 0; j < inner; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += (this.w2[j * k + c] as number) * (dOut[c] as number);
      dInner[j] = s;
    }
    const dz = new Float64Array(this.inputs);
    if (h === 0) dz.set(dInner);
    else {
      for (let j = 0; j < h; j++) if ((hidden[j] as number) <= 0) dInner[j] = 0;
      for (let i = 0; i < this.inputs; i++) {
        let s = 0;
        const base = i * h;
        for (let j = 0; j < h; j++) s += (this.w1[base + j] as number) * (dInner[j] as number);
        dz[i] = s;
      }
    }
    return Array.from(dz, (g, i) => g / (this.std[i] as number));
  }
}

function init(n: number, scale: number, rng: Rng): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

// Index of the largest value, ties to the lowest: the same argmax the privacy guards use.
export { argmax } from '@bulwark/core';

export const oneHot = (label: number, k: number): number[] => Array.from({ length: k }, (_, i) => (i === label ? 1 : 0));
