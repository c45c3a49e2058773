/**
 * What an attack talks to. A transport sends one batch of rows as one caller; the target on top
 * of it behaves like a real attacker meeting defences: it rotates through the identities it holds
 * (API keys, or client addresses for keyless APIs) when one is refused, or on every request to
 * spread its queries (a Sybil attacker), waits out `Retry-After` (up to a limit), retries server
 * errors with backoff, and counts everything so the report can say how far the attack got, per
 * identity, and when it was first detected.
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

/**
 * Sends rows as one caller: the API key it presents (undefined: none), and for keyless APIs the
 * client address it appears to come from (sent as X-Forwarded-For over HTTP, which only a server
 * behind a trusted proxy reads; in process, the caller's address principal).
 */
export type Transport = (rows: readonly (readonly number[])[], key: string | undefined, address?: string | undefined) => Promise<Reply>;

export interface TargetOptions {
  /** API keys the attacker holds. */
  readonly keys?: readonly (string | undefined)[] | undefined;
  /** Client addresses the attacker can appear from (keyless APIs; e.g. one per IPv6 /56). */
  readonly addresses?: readonly string[] | undefined;
  /**
   * `on-refusal` (default): use one identity until it is refused, then the next. `round-robin`:
   * a different identity for every request, so each holds 1/N of the queries (Sybil).
   */
  readonly rotate?: 'on-refusal' | 'round-robin' | undefined;
  /** Longest single wait for Retry-After before giving up, seconds (default 2). */
  readonly maxWaitSeconds?: number | undefined;
  /** Retries of a 5xx or transport error (default 3). */
  readonly maxRetries?: number | undefined;
  /** Refusal codes that mean "a detector saw the attack" (default: DETECTION_CODES). */
  readonly detectionCodes?: readonly string[] | undefined;
  /** Injectable sleep (tests, simulations). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** Codes with which Bulwark's detectors refuse a caller (docs/detection.md). */
export const DETECTION_CODES: readonly string[] = Object.freeze(['anomalous_input', 'attack_suspected', 'caller_blocked']);

export interface IdentityStats {
  /** `key 1`, `address 2`…: never the key itself. */
  readonly label: string;
  rowsSent: number;
  rowsAnswered: number;
  requestsRefused: number;
  /** Retry-After of this identity's last 429, seconds: roughly the rest of its quota window. */
  lastRetryAfterSeconds: number | undefined;
}

export interface TargetStats {
  /** Rows sent, answered or not. */
  rowsSent: number;
  /** Rows answered. */
  rowsAnswered: number;
  /** Requests refused, by code. */
  refusals: Record<string, number>;
  /** Times the attacker switched identity because one was refused. */
  keyRotations: number;
  /** Seconds spent waiting for Retry-After. */
  waitedSeconds: number;
  /** True once every identity was refused and waiting was not an option: the attack stopped. */
  gaveUp: boolean;
  /** The first refusal by a detector: rows sent and answered until then, and its code. */
  detected: { readonly rowsSent: number; readonly rowsAnswered: number; readonly code: string } | undefined;
  readonly identities: IdentityStats[];
}

export interface Target {
  readonly name: string;
  readonly stats: TargetStats;
  /**
   * Answers for the rows, or `undefined` when they were refused for good (a 4xx other than
   * 429/401/403, or a refusal on every identity with too long a wait). After `gaveUp`, always
   * `undefined`.
   */
  query(rows: readonly (readonly number[])[]): Promise<Answer[] | undefined>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A deep copy of stats, for results (the live object keeps changing). */
export function snapshotStats(s: TargetStats): TargetStats {
  return { ...s, refusals: { ...s.refusals }, identities: s.identities.map((i) => ({ ...i })) };
}

export function createTarget(name: string, transport: Transport, options: TargetOptions = {}): Target {
  const ids: { key: string | undefined; address: string | undefined; stats: IdentityStats }[] = [];
  const keys = options.keys ?? [];
  const addresses = options.addresses ?? [];
  for (const [i, key] of keys.entries()) ids.push({ key, address: undefined, stats: blank(`key ${i + 1}`) });
  for (const [i, address] of addresses.entries()) ids.push({ key: undefined, address, stats: blank(`address ${i + 1}`) });
  if (ids.length === 0) ids.push({ key: undefined, address: undefined, stats: blank('caller') });
  const maxWait = options.maxWaitSeconds ?? 2;
  const maxRetries = options.maxRetries ?? 3;
  const sleep = options.sleep ?? realSleep;
  const detection = new Set(options.detectionCodes ?? DETECTION_CODES);
  const roundRobin = options.rotate === 'round-robin';
  const stats: TargetStats = {
    rowsSent: 0,
    rowsAnswered: 0,
    refusals: {},
    keyRotations: 0,
    waitedSeconds: 0,
    gaveUp: false,
    detected: undefined,
    identities: ids.map((i) => i.stats),
  };
  let index = 0;

  return {
    name,
    stats,
    async query(rows) {
      if (stats.gaveUp || rows.length === 0) return undefined;
      if (roundRobin) index = (index + 1) % ids.length;
      let refused = 0;
      let retries = 0;
      for (;;) {
        const id = ids[index] as (typeof ids)[number];
        stats.rowsSent += rows.length;
        id.stats.rowsSent += rows.length;
        let reply: Reply;
        try {
          reply = await transport(rows, id.key, id.address);
        } catch {
          reply = { ok: false, status: 0, code: 'transport_error' };
        }
        if (reply.ok) {
          stats.rowsAnswered += rows.length;
          id.stats.rowsAnswered += rows.length;
          return [...reply.answers];
        }
        stats.refusals[reply.code] = (stats.refusals[reply.code] ?? 0) + 1;
        id.stats.requestsRefused++;
        if (reply.status === 429) id.stats.lastRetryAfterSeconds = reply.retryAfterSeconds;
        if (stats.detected === undefined && detection.has(reply.code)) {
          stats.detected = { rowsSent: stats.rowsSent, rowsAnswered: stats.rowsAnswered, code: reply.code };
        }
        if (reply.status === 429 || reply.status === 401 || reply.status === 403) {
          // Another identity may still have budget: try the next one before waiting.
          if (refused + 1 < ids.length) {
            refused++;
            index = (index + 1) % ids.length;
            stats.keyRotations++;
            continue;
          }
          const wait = reply.retryAfterSeconds;
          if (reply.status === 429 && wait !== undefined && wait <= maxWait) {
            stats.waitedSeconds += wait;
            await sleep(wait * 1000);
            refused = 0;
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
        return undefined; // refused for this input (e.g. invalid_input): the attack moves on
      }
    },
  };
}

function blank(label: string): IdentityStats {
  return { label, rowsSent: 0, rowsAnswered: 0, requestsRefused: 0, lastRetryAfterSeconds: undefined };
}
