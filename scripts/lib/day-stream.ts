/**
 * A simulated day of benign traffic against a model under a policy (the fraud model's fresh rows
 * by default, or rows the caller gives), in process, on a simulated clock: how many honest callers each detector flags in a day (issue 11: ≤ 1% of benign
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
import { type PredictLike, Rng } from '@bulwark/attack-lab';
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
  /**
   * The day's fresh rows, `n` of them (default: draws from the fraud data's distribution,
   * scripts/lib/fraud-gen.ts). Each row is sent once, apart from retries.
   */
  readonly rows?: ((n: number, seed: number) => number[][]) | undefined;
}

/** What honest callers met, over the day or while an attack ran. */
export interface HonestFigures {
  /** Honest rows sent. */
  readonly rows: number;
  /** Rows whose answer kept the unguarded label (refused rows count as not kept). */
  readonly agreeingRows: number;
  /** Rows refused, by error code. */
  readonly refusedRows: Record<string, number>;
  /** Callers that met a decision other than allow from each guard (mask-output's rounding for everyone aside). */
  readonly flaggedCallers: Record<string, number>;
  /** Of those, callers flagged only on a retried call. */
  readonly flaggedOnRetryOnly: Record<string, number>;
}

export interface DayResult extends HonestFigures {
  /** The guards the day ran through, by name. */
  readonly guards: readonly string[];
  readonly callers: number;
  readonly calls: number;
  readonly retries: number;
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
  const total = volumes.reduce((a, b) => a + b, 0);
  // The generator's rows end with their label: the API is sent the 8 features.
  const fresh = o.rows ? o.rows(total, o.seed + 1) : fraudRows(total, o.seed + 1).map((r) => r.slice(0, 8));
  if (fresh.length < total) throw new Error(`the day needs ${total} fresh rows; the source gave ${fresh.length}`);
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
 * An attack run inside the day: it starts at `atMs` and its calls come `everyMs` apart in
 * simulated time, the honest calls due in between served in their order.
 */
export interface DayAttack<R> {
  readonly atMs: number;
  readonly everyMs: number;
  /** Runs the attack through `predict`, the guarded call (for `functionTransport`). */
  run(predict: PredictLike): Promise<R>;
}

/** How the honest callers fared while the attack ran. */
export interface DuringAttack<R> extends HonestFigures {
  readonly result: R;
  readonly startMs: number;
  readonly endMs: number;
  readonly attackerCalls: number;
}

/** Counts what honest calls met. */
class Tally {
  #rows = 0;
  #agreeingRows = 0;
  readonly #refusedRows: Record<string, number> = {};
  readonly #flagged = new Map<string, Set<number>>();
  readonly #flaggedOnOriginal = new Map<string, Set<number>>();

  /** A call's rows: `agree` of them got the unguarded label, or all were refused with `refusal`. */
  served(call: Call, agree: number, refusal: string | undefined): void {
    this.#rows += call.rows.length;
    this.#agreeingRows += agree;
    if (refusal !== undefined) this.#refusedRows[refusal] = (this.#refusedRows[refusal] ?? 0) + call.rows.length;
  }

  flag(guard: string, call: Call): void {
    add(this.#flagged, guard, call.caller);
    if (!call.retry) add(this.#flaggedOnOriginal, guard, call.caller);
  }

  figures(): HonestFigures {
    const flaggedCallers: Record<string, number> = {};
    const flaggedOnRetryOnly: Record<string, number> = {};
    for (const [g, callers] of this.#flagged) {
      const original = this.#flaggedOnOriginal.get(g);
      flaggedCallers[g] = callers.size;
      flaggedOnRetryOnly[g] = [...callers].filter((c) => !original?.has(c)).length;
    }
    return { rows: this.#rows, agreeingRows: this.#agreeingRows, refusedRows: this.#refusedRows, flaggedCallers, flaggedOnRetryOnly };
  }
}

function add(m: Map<string, Set<number>>, key: string, caller: number): void {
  const set = m.get(key);
  if (set === undefined) m.set(key, new Set([caller]));
  else set.add(caller);
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
  const day = new Tally();
  // While the attack runs, honest calls are also counted here.
  let during: Tally | undefined;
  let current: Call | undefined;
  const tallies = () => (during === undefined ? [day] : [day, during]);
  const guards = build(store);
  const bulwark = createBulwark({
    guards,
    principalSecret: 'day-stream-secret-0123456789',
    onDecision: (d: Decision) => {
      // Rounding every answer is mask-output's job for everyone, not a judgement of the caller;
      // the attacker's own calls (no current honest call) are not counted.
      if (d.guard === 'mask-output' || current === undefined) return;
      for (const t of tallies()) t.flag(d.guard, current);
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
      let agree = 0;
      let refusal: string | undefined;
      try {
        const out = await guarded(call.rows, { principal: `customer-${call.caller}` });
        for (let i = 0; i < out.length; i++) if (out[i]?.label === truth[i]?.label) agree++;
      } catch (err) {
        if (!isBulwarkError(err)) throw err;
        refusal = err.code;
      }
      for (const t of tallies()) t.served(call, agree, refusal);
    }
  };
  let attackResult: DuringAttack<R> | undefined;
  if (attack !== undefined) {
    await serveUntil(attack.atMs);
    const tally = new Tally();
    during = tally;
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
    during = undefined;
    attackResult = { result, startMs: attack.atMs, endMs: clock, attackerCalls, ...tally.figures() };
  }
  await serveUntil(Number.POSITIVE_INFINITY);
  await bulwark.close();
  return {
    guards: guards.map((g) => g.name),
    callers: o.callers,
    calls: calls.length,
    retries: calls.filter((c) => c.retry).length,
    ...day.figures(),
    ...(attackResult === undefined ? {} : { during: attackResult }),
  };
}
