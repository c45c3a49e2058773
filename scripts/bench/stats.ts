/** Helpers shared by the benchmarks: medians, interleaved timing and the machine description. */
import { cpus, totalmem } from 'node:os';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/**
 * ns per call of each variant: warm-up, then `rounds` rounds in which every variant runs `calls`
 * times in turn (interleaved, so drift and GC hit all of them alike); the median over rounds of
 * each round's mean.
 */
export async function measureInterleaved(
  variants: Record<string, () => unknown>,
  rounds: number,
  calls: number,
  warmup = calls,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) for (let i = 0; i < warmup; i++) await fn();
  for (let r = 0; r < rounds; r++)
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) await fn();
      samples[name]?.push(Number(process.hrtime.bigint() - t0) / calls);
    }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}
