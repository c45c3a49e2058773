/**
 * What an attack talks to. A transport sends one batch of rows as one caller; the target on top
 * of it behaves like a real attacker meeting defences: it rotates through the API keys it holds when
 * one is refused, waits out `Retry-After` (up to a limit), retries server errors with backoff, and
 * counts everything so the report can say how far the attack got.
 */

/** One row's answer: the label, and the scores if the server returned them. */
export interface Answer {
  readonly label: number;
  readonly scores?: readonly number[] | undefined;
}

/** What one request came back with. */
export type Reply =
  | { readonly ok: true; readonly answers: readonly Answer[] }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly retryAfterSeconds?: number | undefined };

/** Sends rows as the caller holding `key` (undefined: no key, e.g. identified by address). */
export type Transport = (rows: readonly (readonly number[])[], key: string | undefined) => Promise<Reply>;

export interface TargetOptions {
  /** API keys the attacker holds; rotated when one is refused. */
  readonly keys?: readonly (string | undefined)[] | undefined;
  /** Longest single wait for Retry-After before giving up, seconds (default 2). */
  readonly maxWaitSeconds?: number | undefined;
  /** Retries of a 5xx or transport error (default 3). */
  readonly maxRetries?: number | undefined;
  /** Injectable sleep (tests, simulations). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export interface TargetStats {
  /** Rows sent, answered or not. */
  rowsSent: number;
  /** Rows answered. */
  rowsAnswered: number;
  /** Requests refused, by code. */
  refusals: Record<string, number>;
  /** Times the attacker switched keys. */
  keyRotations: number;
  /** Seconds spent waiting for Retry-After. */
  waitedSeconds: number;
  /** True once every key was refused and waiting was not an option: the attack stopped. */
  gaveUp: boolean;
}

export interface Target {
  readonly name: string;
  readonly stats: TargetStats;
  /**
   * Answers for the rows, or `undefined` when they were refused for good (a 4xx other than
   * 429/401, or 429 on every key with too long a wait). After `gaveUp`, always `undefined`.
   */
  query(rows: readonly (readonly number[])[]): Promise<Answer[] | undefined>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createTarget(name: string, transport: Transport, options: TargetOptions = {}): Target {
  const keys = options.keys && options.keys.length > 0 ? options.keys : [undefined];
  const maxWait = options.maxWaitSeconds ?? 2;
  const maxRetries = options.maxRetries ?? 3;
  const sleep = options.sleep ?? realSleep;
  const stats: TargetStats = { rowsSent: 0, rowsAnswered: 0, refusals: {}, keyRotations: 0, waitedSeconds: 0, gaveUp: false };
  let keyIndex = 0;

  return {
    name,
    stats,
    async query(rows) {
      if (stats.gaveUp || rows.length === 0) return undefined;
      let refusedKeys = 0;
      let retries = 0;
      for (;;) {
        stats.rowsSent += rows.length;
        let reply: Reply;
        try {
          reply = await transport(rows, keys[keyIndex]);
        } catch {
          reply = { ok: false, status: 0, code: 'transport_error' };
        }
        if (reply.ok) {
          stats.rowsAnswered += rows.length;
          return [...reply.answers];
        }
        stats.refusals[reply.code] = (stats.refusals[reply.code] ?? 0) + 1;
        if (reply.status === 429 || reply.status === 401 || reply.status === 403) {
          // Another identity may still have budget: try the next key before waiting.
          if (refusedKeys + 1 < keys.length) {
            refusedKeys++;
            keyIndex = (keyIndex + 1) % keys.length;
            stats.keyRotations++;
            continue;
          }
          const wait = reply.retryAfterSeconds;
          if (reply.status === 429 && wait !== undefined && wait <= maxWait) {
            stats.waitedSeconds += wait;
            await sleep(wait * 1000);
            refusedKeys = 0;
            continue;
          }
          stats.gaveUp = true;
          return undefined;
        }
        if ((reply.status >= 500 || reply.status === 0) && retries < maxRetries) {
          retries++;
          await sleep(50 * 2 ** retries);
          continue;
        }
        return undefined; // refused for this input (e.g. anomalous_input): the attack moves on
      }
    },
  };
}
