/**
 * A simulated day of benign traffic against the fraud model under a policy, in process, on a
 * simulated clock: how many honest callers each detector flags in a day (issue 11: ≤ 1% of benign
 * caller streams per stateful detector), and how many of their rows still get the unguarded label.
 *
 * The day, and why it looks like this:
 * - callers with heavy-tailed volumes (log-normal around `medianRows` a day, capped at 3,000):
 *   most integrations are small, a few are large;
 * - arrivals at random times over 24 h, busier by day (a cosine around 14:00), one row a call;
 *   a few batch callers send 25 rows a call every hour instead (a nightly job, a back office);
 * - every row a fresh draw from the data's distribution (scripts/lib/fraud-gen.ts): customers'
 *   transactions do not repeat, but clients do: `retryRate` of calls are sent again by the same
 *   caller 2-30 s later, unchanged (a timeout, a network error, a double click);
 * - the stores' clock is the simulated one, so histories, decays and quotas run their real course.
 */
import { Rng } from '@bulwark/attack-lab';
import { type AnyGuard, createBulwark, type Decision, isBulwarkError, MemoryStore, type Prediction } from '@bulwark/core';
import { fraudRows } from './fraud-gen.js';

export interface DayOptions {
  readonly callers: number;
  /** Median rows a day of a one-row-a-call caller (log-normal, σ = 1, capped at 3,000). */
  readonly medianRows: number;
  /** Callers (of `callers`) that send hourly batches of 25 rows. */
  readonly batchCallers: number;
  /** Share of calls sent twice. */
  readonly retryRate: number;
  readonly seed: number;
}

export interface DayResult {
  /** The guards the day ran through, by name. */
  readonly guards: readonly string[];
  readonly callers: number;
  readonly calls: number;
  readonly rows: number;
  readonly retries: number;
  /** Callers that met a decision other than allow from each guard (mask-output's rounding for everyone aside). */
  readonly flaggedCallers: Record<string, number>;
  /** Of those, callers flagged only on a retried call. */
  readonly flaggedOnRetryOnly: Record<string, number>;
  /** Rows refused, by error code. */
  readonly refusedRows: Record<string, number>;
  /** Rows whose answer kept the unguarded label (refused rows count as not kept). */
  readonly agreeingRows: number;
}

interface Call {
  readonly at: number;
  readonly caller: number;
  readonly rows: number[][];
  readonly retry: boolean;
}

const DAY_MS = 86_400_000;

/** The day's calls, sorted by time. */
export function benignDay(o: DayOptions): { calls: Call[] } {
  const rng = new Rng(o.seed);
  const calls: Call[] = [];
  // Volumes first, then one batch of fresh rows for the whole day.
  const volumes = Array.from({ length: o.callers }, (_, c) =>
    c < o.batchCallers ? 24 * 25 : Math.max(1, Math.min(3000, Math.round(Math.exp(Math.log(o.medianRows) + rng.normal())))),
  );
  // The generator's rows end with their label: the API is sent the 8 features.
  const fresh = fraudRows(
    volumes.reduce((a, b) => a + b, 0),
    o.seed + 1,
  ).map((r) => r.slice(0, 8));
  let next = 0;
  // Time of day, busier in the afternoon: rejection sampling against 1 + 0.6 cos(2π (t - 14 h) / 24 h).
  const timeOfDay = (): number => {
    for (;;) {
      const t = rng.next() * DAY_MS;
      if (rng.next() * 1.6 < 1 + 0.6 * Math.cos((2 * Math.PI * (t - 14 * 3_600_000)) / DAY_MS)) return Math.floor(t);
    }
  };
  for (let c = 0; c < o.callers; c++) {
    if (c < o.batchCallers) {
      for (let h = 0; h < 24; h++) {
        const batch = fresh.slice(next, next + 25);
        next += 25;
        calls.push({ at: h * 3_600_000 + rng.int(3_600_000), caller: c, rows: batch, retry: false });
      }
      continue;
    }
    for (let i = 0; i < (volumes[c] as number); i++) calls.push({ at: timeOfDay(), caller: c, rows: [fresh[next++] as number[]], retry: false });
  }
  // Retries: the same caller, the same rows, a few seconds later.
  const originals = calls.length;
  for (let i = 0; i < originals; i++) {
    if (rng.next() >= o.retryRate) continue;
    const c = calls[i] as Call;
    calls.push({ at: c.at + 2000 + rng.int(28_000), caller: c.caller, rows: c.rows, retry: true });
  }
  calls.sort((a, b) => a.at - b.at);
  return { calls };
}

/**
 * Runs the day through `guards` (built by `build` on a store whose clock is the simulated one)
 * and through the bare model, and counts who was flagged by what.
 */
export async function runBenignDay(
  o: DayOptions,
  predict: (rows: number[][]) => Promise<Prediction[]>,
  build: (store: MemoryStore) => AnyGuard[],
): Promise<DayResult> {
  const { calls } = benignDay(o);
  let now = Date.UTC(2026, 0, 5);
  const start = now;
  const store = new MemoryStore({ now: () => now });
  const flagged = new Map<string, Set<number>>();
  const flaggedOnOriginal = new Map<string, Set<number>>();
  const refusedRows: Record<string, number> = {};
  let agreeing = 0;
  let current: Call | undefined;
  const note = (guard: string) => {
    const c = current as Call;
    if (!flagged.has(guard)) flagged.set(guard, new Set());
    flagged.get(guard)?.add(c.caller);
    if (!c.retry) {
      if (!flaggedOnOriginal.has(guard)) flaggedOnOriginal.set(guard, new Set());
      flaggedOnOriginal.get(guard)?.add(c.caller);
    }
  };
  const guards = build(store);
  const bulwark = createBulwark({
    guards,
    principalSecret: 'day-stream-secret-0123456789',
    onDecision: (d: Decision) => {
      // Rounding every answer is mask-output's job for everyone, not a judgement of the caller.
      if (d.guard === 'mask-output') return;
      note(d.guard);
    },
  });
  const guarded = bulwark.wrap(predict);
  for (const call of calls) {
    now = start + call.at;
    current = call;
    const truth = await predict(call.rows);
    try {
      const out = await guarded(call.rows, { principal: `customer-${call.caller}` });
      for (let i = 0; i < out.length; i++) if (out[i]?.label === truth[i]?.label) agreeing++;
    } catch (err) {
      if (!isBulwarkError(err)) throw err;
      refusedRows[err.code] = (refusedRows[err.code] ?? 0) + call.rows.length;
    }
  }
  await bulwark.close();
  const flaggedCallers: Record<string, number> = {};
  const flaggedOnRetryOnly: Record<string, number> = {};
  for (const [g, set] of flagged) {
    flaggedCallers[g] = set.size;
    const orig = flaggedOnOriginal.get(g) ?? new Set<number>();
    flaggedOnRetryOnly[g] = [...set].filter((c) => !orig.has(c)).length;
  }
  return {
    guards: guards.map((g) => g.name),
    callers: o.callers,
    calls: calls.length,
    rows: calls.reduce((n, c) => n + c.rows.length, 0),
    retries: calls.filter((c) => c.retry).length,
    flaggedCallers,
    flaggedOnRetryOnly,
    refusedRows,
    agreeingRows: agreeing,
  };
}
