/** Turning model outputs into class probabilities. */

/** Numerically stable softmax of `k` logits starting at `offset`. */
export function softmaxRow(out: ArrayLike<number>, offset: number, k: number): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) max = Math.max(max, out[offset + j] as number);
  const e = new Array<number>(k);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const v = Math.exp((out[offset + j] as number) - max);
    e[j] = v;
    sum += v;
  }
  for (let j = 0; j < k; j++) e[j] = (e[j] as number) / sum;
  return e;
}

/** True when every row of `out` is already a probability vector (in [0,1], summing to 1). */
export function looksLikeProbabilities(out: ArrayLike<number>, rows: number, k: number): boolean {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = out[r * k + j] as number;
      if (!(v >= -1e-6 && v <= 1 + 1e-6)) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

export function argmax(v: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if ((v[offset + j] as number) > (v[offset + best] as number)) best = j;
  return best;
}
