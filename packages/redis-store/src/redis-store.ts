/**
 * RedisStore: budget counters shared by every replica. One EVALSHA per decision (re-sent as EVAL
 * when the server answers NOSCRIPT, e.g. after a restart or on a new cluster node), time from the
 * server, keys `<prefix>{<scope>}:<key>` where the scope is a principal hash (base64url HMAC) or
 * `global`: a caller's keys share one Redis Cluster slot, and no caller can choose the slot or
 * collide with another's namespace (the raw id never appears).
 *
 * Works with an ioredis `Redis` or `Cluster` client. Create it with `enableOfflineQueue: false`
 * so that commands fail at once while Redis is down (the guard's failure policy then applies) and
 * ioredis reconnects on its own.
 */
import { createHash } from 'node:crypto';
import {
  type BudgetStore,
  ConfigError,
  type ConfigIssueInput,
  type ConsumeResult,
  type DetectorOp,
  type DetectorResult,
  type DetectorStore,
  detectorOpProblem,
  type LimitCheck,
  type LimitState,
  StoreError,
} from '@bulwark/core';
import { CONSUME, DETECT, REFUND } from './scripts.js';

/** The part of an ioredis client (Redis or Cluster) this store uses. */
export interface RedisLike {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  quit?(): Promise<unknown>;
}

export interface RedisStoreOptions {
  readonly client: RedisLike;
  /** Prefix of every key (default `bulwark:`). */
  readonly prefix?: string;
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const SAFE_SCOPE = /^[A-Za-z0-9_-]{1,64}$/;
const LEASE_ID = /^[\x21-\x7e]{1,64}$/;

export class RedisStore implements BudgetStore, DetectorStore {
  readonly name = 'redis';
  readonly localKeys = false;
  readonly #client: RedisLike;
  readonly #prefix: string;
  readonly #hashKeys = new Map<string, string>();

  constructor(options: RedisStoreOptions) {
    const issues: ConfigIssueInput[] = [];
    if (typeof options?.client?.evalsha !== 'function')
      issues.push({ path: 'client', rule: 'must be an ioredis client (Redis or Cluster)', received: typeof options?.client });
    const prefix = options?.prefix ?? 'bulwark:';
    if (typeof prefix !== 'string' || /[{}]/.test(prefix))
      issues.push({ path: 'prefix', rule: 'must be a string without { or }', received: JSON.stringify(prefix).slice(0, 60) });
    if (issues.length > 0) throw new ConfigError(issues, 'RedisStore options');
    this.#client = options.client;
    this.#prefix = prefix;
  }

  /** The full key of a check: one hash tag per scope. */
  key(scope: string, key: string): string {
    // Scopes are hashes or `global`; anything else would let a caller shape the key.
    if (!SAFE_SCOPE.test(scope)) throw new StoreError('scope must be a principal hash');
    return `${this.#prefix}{${scope}}:${key}`;
  }

  consume(scope: string, checks: readonly LimitCheck[]): Promise<ConsumeResult> {
    if (checks.length === 0) return Promise.resolve(NOTHING);
    let args: (string | number)[];
    try {
      args = this.#args(scope, checks);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#eval(CONSUME, CONSUME_SHA, args).then((reply) => parseConsume(reply as number[], checks));
  }

  refund(scope: string, checks: readonly LimitCheck[]): Promise<void> {
    if (checks.length === 0) return Promise.resolve();
    let args: (string | number)[];
    try {
      args = this.#args(scope, checks);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#eval(REFUND, REFUND_SHA, args).then(() => undefined);
  }

  /**
   * One DetectorStore update: one script on the scope's slot. Detector keys live under `d:` in the
   * scope, apart from budget counters. Memory on Redis is bounded per key by the op's `max` and
   * the item length limit, and every key expires; run Redis with `maxmemory-policy noeviction` so
   * that nothing is evicted silently (a full Redis then refuses writes, and the guard's failure
   * policy applies).
   */
  async update(scope: string, ops: readonly DetectorOp[]): Promise<DetectorResult[]> {
    const problem = detectorOpProblem(ops);
    if (problem !== undefined) throw new StoreError(`detector update refused: ${problem}`);
    if (ops.length === 0) return [];
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const op of ops) {
      keys.push(this.key(scope, `d:${op.key}`));
      if (op.kind === 'decay') args.push('decay', String(op.add), op.halfLifeMs, 0);
      else if (op.kind === 'append') {
        // The list's stamp key (scripts.ts): 'ds:' cannot meet a 'd:' key whatever the guard's key.
        keys.push(this.key(scope, `ds:${op.key}`));
        args.push(op.answer === false ? 'append-quiet' : 'append', op.max, op.ttlMs, op.items.length, ...op.items);
      } else args.push('remember', op.max, op.ttlMs, op.members.length, ...op.members);
    }
    const reply = (await this.#eval(DETECT, DETECT_SHA, [keys.length, ...keys, ...args])) as unknown[][];
    return ops.map((op, i): DetectorResult => {
      const r = reply[i] ?? [];
      if (op.kind === 'decay') return { kind: 'decay', value: Number(r[0]) };
      if (op.kind === 'append') {
        const items = (r[2] ?? []) as unknown[];
        return { kind: 'append', before: items.map(String), stamp: { before: String(r[0]), after: String(r[1]) } };
      }
      return { kind: 'remember', seen: r.map((x) => Number(x) === 1) };
    });
  }

  async close(): Promise<void> {
    await this.#client.quit?.();
  }

  /** The scope's budget hash key, built and checked once per scope (a bounded cache). */
  #hashKey(scope: string): string {
    let k = this.#hashKeys.get(scope);
    if (k === undefined) {
      k = this.key(scope, 'b');
      if (this.#hashKeys.size >= 10_000) this.#hashKeys.clear();
      this.#hashKeys.set(scope, k);
    }
    return k;
  }

  /**
   * EVALSHA arguments of a budget script: numkeys, the hash, one sorted set per concurrency check;
   * then F, the F hash fields the checks read (two per limit that is not a concurrency slot), and
   * five to seven values per check (scripts.ts).
   */
  #args(scope: string, checks: readonly LimitCheck[]): (string | number)[] {
    const out: (string | number)[] = [1, this.#hashKey(scope)];
    const fields: string[] = [];
    const values: (string | number)[] = [];
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i] as LimitCheck;
      const period = c.periodMs ?? 1000;
      const burst = c.burst ?? c.limit;
      if (!isCount(c.limit) || !isCount(c.cost) || !isCount(period) || !isCount(burst))
        throw new StoreError(`limits and costs must be integers >= 0 (check ${i})`);
      values.push(c.kind, c.limit, period, burst, c.cost);
      if (c.kind === 'concurrency') {
        const l = c.lease;
        if (l === undefined || !LEASE_ID.test(l.id) || !Number.isSafeInteger(l.ttlMs) || l.ttlMs < 1 || l.ttlMs > 86_400_000)
          throw new StoreError('concurrency checks need a lease: an id of 1-64 printable characters and ttlMs in [1, 86400000]');
        values.push(l.id, l.ttlMs);
        out.push(this.key(scope, c.key));
        (out[0] as number)++;
        continue;
      }
      if (c.kind === 'window') {
        if (c.windowStart !== undefined && !Number.isSafeInteger(c.windowStart)) throw new StoreError('windowStart must be an integer');
        values.push(c.windowStart ?? '');
      } else if (c.kind !== 'gcra' && c.kind !== 'total') throw new StoreError(`unknown limit kind (check ${i})`);
      fields.push(c.key, timeField(c.key));
    }
    out.push(fields.length);
    for (let i = 0; i < fields.length; i++) out.push(fields[i] as string);
    for (let i = 0; i < values.length; i++) out.push(values[i] as string | number);
    return out;
  }

  /** One script call: EVALSHA, or EVAL when the server does not hold the script (a restart, a new cluster node). */
  /** `args`: numkeys first, then the keys and the script's arguments (spread once into the call, not copied first). */
  #eval(script: string, sha: string, args: (string | number)[]): Promise<unknown> {
    const call = args as [number, ...(string | number)[]];
    return this.#client.evalsha(sha, ...call).catch((err: unknown) => {
      if (!String((err as Error)?.message).includes('NOSCRIPT')) throw new StoreError('redis did not answer', { cause: err });
      return this.#client.eval(script, ...call).catch((e: unknown) => {
        throw new StoreError('redis did not answer', { cause: e });
      });
    });
  }
}

const NOTHING: ConsumeResult = Object.freeze({ allowed: true, refusedBy: undefined, retryAfterMs: 0, states: Object.freeze([]) as readonly LimitState[] });
const isCount = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/** `<key>@`: the field of a counter's time (GCRA) or window start, built once per key. */
const timeFields = new Map<string, string>();
function timeField(key: string): string {
  let f = timeFields.get(key);
  if (f === undefined) {
    f = `${key}@`;
    if (timeFields.size >= 1000) timeFields.clear();
    timeFields.set(key, f);
  }
  return f;
}

/** { allowed, refusedBy (1-based), retryAfterMs, nowMs, then remaining and resetMs per check } → a ConsumeResult. */
function parseConsume(reply: number[], checks: readonly LimitCheck[]): ConsumeResult {
  const now = Number(reply[3]);
  const states = new Array<LimitState>(checks.length);
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i] as LimitCheck;
    const period = c.periodMs ?? 1000;
    states[i] = { remaining: Number(reply[4 + 2 * i]), resetMs: Number(reply[5 + 2 * i]), windowStart: c.kind === 'window' ? now - (now % period) : undefined };
  }
  const refused = Number(reply[1]);
  return { allowed: reply[0] === 1, refusedBy: refused === 0 ? undefined : refused - 1, retryAfterMs: Number(reply[2]), states, scope: undefined };
}

const CONSUME_SHA = sha1(CONSUME);
const REFUND_SHA = sha1(REFUND);
const DETECT_SHA = sha1(DETECT);
