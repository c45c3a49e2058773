/** Shared pieces of the attacks. */
import type { Answer, Target, TargetStats } from '../target/target.js';

/**
 * Why a run measured nothing, in the words reports print: "not measured: 0 answered of 10000
 * rows sent (needs 50); refusals unauthorized×400".
 */
export function inconclusiveReason(answered: number, stats: TargetStats, needed: number, what = 'answered'): string {
  const refusals = Object.entries(stats.refusals)
    .map(([code, n]) => `${code}×${n}`)
    .join(', ');
  return `${answered} ${what} of ${stats.rowsSent} rows sent (needs ${needed})${refusals ? `; refusals ${refusals}` : ''}${stats.gaveUp ? '; the attacker gave up' : ''}`;
}

export interface Dataset {
  readonly x: readonly (readonly number[])[];
  readonly y: readonly number[];
}

export type Progress = (done: number, total: number) => void;

/** Queries rows in batches; returns one answer (or undefined when refused) per row. */
export async function queryAll(target: Target, rows: readonly (readonly number[])[], batchSize: number, progress?: Progress): Promise<(Answer | undefined)[]> {
  const out: (Answer | undefined)[] = [];
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = rows.slice(i, i + batchSize);
    const answers = await target.query(batch);
    for (let j = 0; j < batch.length; j++) out.push(answers?.[j]);
    progress?.(Math.min(rows.length, i + batchSize), rows.length);
  }
  return out;
}

/** Per-feature [min, max] of some rows. */
export function boundsOf(rows: readonly (readonly number[])[]): [number, number][] {
  const d = rows[0]?.length ?? 0;
  return Array.from({ length: d }, (_, j) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      lo = Math.min(lo, r[j] as number);
      hi = Math.max(hi, r[j] as number);
    }
    return [lo, hi];
  });
}

/** Per-feature standard deviation (the unit of evasion budgets). */
export function scaleOf(rows: readonly (readonly number[])[]): number[] {
  const d = rows[0]?.length ?? 0;
  return Array.from({ length: d }, (_, j) => {
    const m = rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length;
    const v = rows.reduce((s, r) => s + ((r[j] as number) - m) ** 2, 0) / rows.length;
    return Math.sqrt(v) || 1;
  });
}

export const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** The decimals the answers' scores are given to (undefined: full precision or no scores). */
export function observedDecimals(answers: readonly (Answer | undefined)[]): number | undefined {
  let max = 0;
  for (const a of answers) {
    for (const s of a?.scores ?? []) {
      const str = String(s);
      const dot = str.indexOf('.');
      const d = dot === -1 || str.includes('e') ? (str.includes('e') ? 99 : 0) : str.length - dot - 1;
      max = Math.max(max, d);
    }
  }
  return max >= 8 ? undefined : max;
}
