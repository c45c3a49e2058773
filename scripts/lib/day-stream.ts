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
import { type AnyGuard, createBulwark, type Decision, isBulwarkError, MemoryStore, type Prediction, type PrincipalInput } from '@bulwark/core';
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

/** What an attacker's call looks like to the day: the guarded function, as a function transport calls it. */
export type AttackerPredict = (rows: number[][], options: { principal: PrincipalInput }) => Promise<Prediction[]>;

/**
 * An attack run inside the day: it starts at `atMs` and its calls come `everyMs` apart in
 * simulated time, the honest calls due in between served in their order.
 */
export interface DayAttack<R> {
  readonly atMs: number;
  readonly everyMs: number;
  run(predict: AttackerPredict): Promise<R>;
}

/** How the honest callers fared while the attack ran. */
export interface DuringAttack<R> {
  readonly result: R;
  readonly startMs: number;
  readonly endMs: number;
  readonly attackerCalls: number;
  /** Honest rows sent while it ran, and those that got the unguarded label. */
  readonly rows: number;
  readonly agreeingRows: number;
  readonly refusedRows: Record<string, number>;
  /** Honest callers flagged while it ran, by guard. */
  readonly flaggedCallers: Record<string, number>;
}

/**
 * Runs the day through `guards` (built by `build` on a store whose clock is the simulated one)
 * and through the bare model, and counts who was flagged by what; with `attack`, also how the
 * honest callers fared while it ran.
 */
export async function runBenignDay<R = never>(
  o: DayOptions,
  predict: (rows: number[][]) => Promise<Prediction[]>,
  build: (store: MemoryStore) => AnyGuard[],
  attack?: DayAttack<R>,
): Promise<DayResult & { during?: DuringAttack<R> }> {
  const { calls } = benignDay(o);
  let now = Date.UTC(2026, 0, 5);
  const start = now;
  const store = new MemoryStore({ now: () => now });
  const flagged = new Map<string, Set<number>>();
  const flaggedOnOriginal = new Map<string, Set<number>>();
  const refusedRows: Record<string, number> = {};
  let agreeing = 0;
  let current: Call | undefined;
  // While the attack runs: the honest side of it.
  let attacking = false;
  const during = { rows: 0, agreeingRows: 0, refusedRows: {} as Record<string, number>, flagged: new Map<string, Set<number>>() };
  const note = (guard: string) => {
    const c = current;
    if (c === undefined) return; // the attacker's own call
    if (attacking) {
      if (!during.flagged.has(guard)) during.flagged.set(guard, new Set());
      during.flagged.get(guard)?.add(c.caller);
    }
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
  let next = 0;
  /** Serves the honest calls due by `t` (ms into the day), in order. */
  const serveUntil = async (t: number) => {
    for (; next < calls.length && (calls[next] as Call).at <= t; next++) {
      const call = calls[next] as Call;
      now = start + call.at;
      current = call;
      const truth = await predict(call.rows);
      if (attacking) during.rows += call.rows.length;
      try {
        const out = await guarded(call.rows, { principal: `customer-${call.caller}` });
        let agree = 0;
        for (let i = 0; i < out.length; i++) if (out[i]?.label === truth[i]?.label) agree++;
        agreeing += agree;
        if (attacking) during.agreeingRows += agree;
      } catch (err) {
        if (!isBulwarkError(err)) throw err;
        refusedRows[err.code] = (refusedRows[err.code] ?? 0) + call.rows.length;
        if (attacking) during.refusedRows[err.code] = (during.refusedRows[err.code] ?? 0) + call.rows.length;
      }
    }
  };
  let attackResult: DuringAttack<R> | undefined;
  if (attack !== undefined) {
    await serveUntil(attack.atMs);
    attacking = true;
    let clock = attack.atMs;
    let attackerCalls = 0;
    const result = await attack.run(async (rows, options) => {
      await serveUntil(clock);
      now = start + clock;
      current = undefined;
      clock += attack.everyMs;
      attackerCalls++;
      return guarded(rows, options);
    });
    attacking = false;
    attackResult = {
      result,
      startMs: attack.atMs,
      endMs: clock,
      attackerCalls,
      rows: during.rows,
      agreeingRows: during.agreeingRows,
      refusedRows: during.refusedRows,
      flaggedCallers: Object.fromEntries([...during.flagged].map(([g, set]) => [g, set.size])),
    };
  }
  await serveUntil(Number.POSITIVE_INFINITY);
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
    ...(attackResult === undefined ? {} : { during: attackResult }),
  };
}
