import { fraudData } from '@bulwark/models';

/** Per-feature [min, max] over the fraud model's training split (the numbers in policy.yaml). */
export function trainingRanges(): [number, number][] {
  const { train } = fraudData();
  return (train.x[0] as number[]).map((_, j) => [Math.min(...train.x.map((r) => r[j] as number)), Math.max(...train.x.map((r) => r[j] as number))]);
}
