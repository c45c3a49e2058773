/**
 * budget: per-caller rate limits, quotas and concurrency caps, a global limit across all callers,
 * and costs that count what an answer reveals.
 *
 * A call of N rows costs N on the rate limit (abuse) and N × weight on the quotas (information),
 * where the weight is that of the output form the answer leaves with (label < top-k < rounded <
 * raw). The guard reserves at the raw weight before inference and, once the output guards have
 * run, refunds the difference: only what was released stays charged. A call that releases nothing
 * is refunded its quota charge (its rate charge stays: it still cost the server).
 *
 * The caller's limits are decided in one atomic store call, then the global ones in another (they
 * live in different Redis Cluster slots); a global refusal refunds the caller's charge.
 */
import { withTimeout as timeLimit } from '../../pipeline/run-hook.js';
import { parseOptions } from '../../policy/schema.js';
import { MemoryStore } from '../../stores/memory.js';
import { type BudgetStore, type ConsumeResult, type LimitCheck, StoreError } from '../../stores/types.js';
import type { Guard, GuardContext, GuardMode, GuardVerdict, OutputForm, Prediction } from '../../types.js';
import { checksFor, quotaChecks, rateLimitHeaders } from './checks.js';
import { type BudgetPolicyOptions, budgetPolicySchema, type GlobalLimits, type TierLimits } from './schema.js';

export interface BudgetOptions extends Omit<BudgetPolicyOptions, 'store' | 'tiers' | 'mode' | 'onError'> {
  /** Where counts live: a MemoryStore (one process) or a RedisStore (every replica). */
  readonly store: BudgetStore;
  readonly tiers: { readonly default: TierLimits } & Readonly<Record<string, TierLimits>>;
  readonly global?: GlobalLimits;
  readonly mode?: GuardMode;
  readonly onError?: 'deny' | 'allow';
  /** Called once, for risky configurations (e.g. a per-process store). Default: process.emitWarning. */
  readonly warn?: (code: string, message: string) => void;
}

export const DEFAULT_WEIGHTS: Readonly<Record<OutputForm, number>> = Object.freeze({ label: 1, 'top-k': 2, rounded: 3, raw: 4 });

interface Reservation {
  readonly store: BudgetStore;
  readonly scope: string;
  readonly checks: LimitCheck[];
  readonly global: LimitCheck[];
  readonly rows: number;
  readonly weight: number;
  readonly degraded: boolean;
}

const KEY = Symbol('budget');

class StoreDown extends Error {}
const warned = new Set<string>();

/**
 * Creates the budget guard.
 *
 * @example
 * ```ts
 * budget({
 *   store: new MemoryStore(),
 *   tiers: { default: { rate: { limit: 10, per: 'second' }, quotas: [{ limit: 10_000, per: 'day' }], concurrency: 4 } },
 *   global: { quotas: [{ limit: 1_000_000, per: 'day' }] },
 * })
 * ```
 * @throws {ConfigError} on invalid limits.
 */
export function budget(options: BudgetOptions): Guard<unknown, Prediction[]> & { readonly stats: { readonly failedRefunds: number } } {
  const { store, warn, ...rest } = options;
  const o = parseOptions(budgetPolicySchema, rest, 'budget options');
  if (typeof store?.consume !== 'function' || typeof store.refund !== 'function')
    throw new TypeError('budget: "store" must be a BudgetStore (MemoryStore, RedisStore)');
  const weights = { ...DEFAULT_WEIGHTS, ...o.weights } as Record<OutputForm, number>;
  const tiers = o.tiers as Record<string, TierLimits>;
  const timeoutMs = o.storeTimeoutMs ?? 250;
  const onStoreError = o.onStoreError ?? 'deny';
  const replicas = o.replicas ?? 1;
  const fallback = onStoreError === 'fallback' ? new MemoryStore() : undefined;
  const headersOn = o.headers ?? true;
  const degrade = o.onExhausted === 'degrade';
  const policies = new Map<string, string>();
  let failedRefunds = 0;
  const say = warn ?? ((code: string, message: string) => process.emitWarning(message, { type: 'BulwarkWarning', code }));
  if (store.localKeys && replicas > 1 && !warned.has('store')) {
    warned.add('store');
    say(
      'BULWARK_LOCAL_STORE',
      `budget: a per-process store (${store.name}) behind ${replicas} replicas admits up to ${replicas}× the limits; use a shared store`,
    );
  }

  /** A store call with the guard's time limit; any failure becomes a StoreError (the failure policy applies). */
  const withTimeout = <T>(p: Promise<T>): Promise<T> =>
    timeLimit(p, timeoutMs, () => new StoreError(`store ${store.name} did not answer within ${timeoutMs} ms`)).catch((e: unknown) => {
      throw e instanceof StoreError ? e : new StoreError(`store ${store.name} failed`, { cause: e });
    });

  function refusal(result: ConsumeResult, checks: readonly LimitCheck[], scopeName: string): GuardVerdict<unknown> {
    const c = checks[result.refusedBy ?? 0] as LimitCheck;
    const headers = headersOn ? rateLimitHeaders(checks, result.states) : {};
    const retry = result.retryAfterMs > 0 ? result.retryAfterMs / 1000 : c.kind === 'concurrency' ? 1 : undefined;
    const code = c.kind === 'window' || c.kind === 'total' ? 'budget_exhausted' : 'rate_limited';
    const what = c.kind === 'concurrency' ? 'too many calls in flight' : c.kind === 'gcra' ? 'too many queries' : `${c.key.replace('quota:', '')} quota spent`;
    return {
      action: 'deny',
      code,
      message: `${scopeName} ${what}`,
      retryAfterSeconds: retry,
      headers,
      attributes: { 'bulwark.budget.limit': c.key, 'bulwark.budget.scope': scopeName },
    };
  }

  /** The checks of one call: the caller's, and the global ones. */
  function plan(limits: TierLimits, rows: number, weight: number, divideBy: number): { checks: LimitCheck[]; global: LimitCheck[] } {
    return { checks: checksFor(limits, rows, rows * weight, divideBy), global: o.global ? checksFor(o.global, rows, rows * weight, divideBy) : [] };
  }

  function refused(result: ConsumeResult, checks: LimitCheck[], global: LimitCheck[], scopeName: 'caller' | 'global') {
    return { ok: false as const, result, checks, global, scopeName };
  }

  function charged(p: { checks: LimitCheck[]; global: LimitCheck[] }, mine: ConsumeResult | undefined, all: ConsumeResult | undefined) {
    return { ok: true as const, ...p, states: all === undefined ? (mine?.states ?? []) : [...(mine?.states ?? []), ...all.states] };
  }

  // The caller's limits, then the global ones (another Cluster slot); a global refusal refunds
  // the caller. Written twice on purpose: once for stores that answer synchronously (no promise,
  // no timer: the hot path of the MemoryStore), once for remote stores (with the timeout).

  async function charge(s: BudgetStore, scope: string, limits: TierLimits, rows: number, weight: number, divideBy: number) {
    const p = plan(limits, rows, weight, divideBy);
    const mine = p.checks.length > 0 ? await withTimeout(s.consume(scope, p.checks)) : undefined;
    if (mine && !mine.allowed) return refused(mine, p.checks, p.global, 'caller');
    const all = p.global.length > 0 ? await withTimeout(s.consume('global', p.global)) : undefined;
    if (all && !all.allowed) {
      if (p.checks.length > 0) await withTimeout(s.refund(scope, p.checks));
      return refused(all, p.global, p.global, 'global');
    }
    return charged(p, mine, all);
  }

  function chargeSync(s: BudgetStore, scope: string, limits: TierLimits, rows: number, weight: number) {
    const consume = s.consumeSync as NonNullable<BudgetStore['consumeSync']>;
    const p = plan(limits, rows, weight, 1);
    const mine = p.checks.length > 0 ? consume.call(s, scope, p.checks) : undefined;
    if (mine && !mine.allowed) return refused(mine, p.checks, p.global, 'caller');
    const all = p.global.length > 0 ? consume.call(s, 'global', p.global) : undefined;
    if (all && !all.allowed) {
      if (p.checks.length > 0) s.refundSync?.(scope, p.checks);
      return refused(all, p.global, p.global, 'global');
    }
    return charged(p, mine, all);
  }

  /**
   * In-process stores decide synchronously: the whole guard then runs without a promise (its
   * cost is in docs/benchmarks.md). Degrading and store failures take the general path.
   */
  function beforeSync(ctx: GuardContext<unknown, Prediction[]>): GuardVerdict<unknown> | undefined | null {
    const limits = tiers[ctx.principal.tier ?? 'default'] ?? tiers.default;
    if (limits === undefined) return undefined;
    let r: ReturnType<typeof chargeSync>;
    try {
      r = chargeSync(store, ctx.principal.hash, limits, ctx.queries, weights.raw);
    } catch (err) {
      if (err instanceof StoreError) return null; // let the general path apply the failure policy
      throw err;
    }
    if (!r.ok) return degrade ? null : refusal(r.result, r.checks, r.scopeName);
    ctx.state.set(KEY, {
      store,
      scope: ctx.principal.hash,
      checks: r.checks,
      global: r.global,
      rows: ctx.queries,
      weight: weights.raw,
      degraded: false,
    } satisfies Reservation);
    return headersOn
      ? {
          action: 'allow',
          headers: rateLimitHeaders(r.global.length > 0 ? [...r.checks, ...r.global] : r.checks, r.states, policies, ctx.principal.tier ?? 'default'),
        }
      : undefined;
  }

  function before(ctx: GuardContext<unknown, Prediction[]>): GuardVerdict<unknown> | undefined | Promise<GuardVerdict<unknown> | undefined> {
    if (store.consumeSync !== undefined) {
      const v = beforeSync(ctx);
      if (v !== null) return v;
    }
    return beforeAsync(ctx);
  }

  async function beforeAsync(ctx: GuardContext<unknown, Prediction[]>): Promise<GuardVerdict<unknown> | undefined> {
    try {
      return await decide(ctx);
    } catch (err) {
      // Failing closed on a store outage is a decision with its own code (503 store_unavailable),
      // not a guard failure; anything else is a bug and fails closed as one.
      if (err instanceof StoreDown) return { action: 'deny', code: 'store_unavailable', message: 'budget store unavailable' };
      throw err;
    }
  }

  async function decide(ctx: GuardContext<unknown, Prediction[]>): Promise<GuardVerdict<unknown> | undefined> {
    const limits = tiers[ctx.principal.tier ?? 'default'] ?? tiers.default;
    if (limits === undefined) return undefined;
    const scope = ctx.principal.hash;
    let s: BudgetStore = store;
    let divideBy = 1;
    let note: GuardVerdict<unknown> | undefined;
    const attempt = async (weight: number) => {
      try {
        return await charge(s, scope, limits, ctx.queries, weight, divideBy);
      } catch (err) {
        if (!(err instanceof StoreError) || s === fallback) throw err;
        if (onStoreError === 'deny') throw new StoreDown();
        if (onStoreError === 'allow') {
          note = { action: 'flag', code: 'store_unavailable_open', message: 'budget store unavailable; allowed as configured' };
          return undefined;
        }
        s = fallback as BudgetStore;
        divideBy = replicas;
        note = { action: 'flag', code: 'store_fallback', message: `budget store unavailable; local limits ÷ ${replicas}` };
        return charge(s, scope, limits, ctx.queries, weight, divideBy);
      }
    };
    let weight = weights.raw;
    let r = await attempt(weight);
    if (r === undefined) return note;
    let degraded = false;
    if (!r.ok && degrade && r.result.refusedBy !== undefined && r.checks[r.result.refusedBy]?.kind === 'window' && weights.label < weight) {
      weight = weights.label;
      const again = await attempt(weight);
      if (again === undefined) return note;
      r = again;
      degraded = r.ok;
    }
    if (!r.ok) return refusal(r.result, r.checks, r.scopeName);
    const reservation: Reservation = { store: s, scope, checks: r.checks, global: r.global, rows: ctx.queries, weight, degraded };
    ctx.state.set(KEY, reservation);
    const headers = headersOn
      ? rateLimitHeaders([...r.checks, ...r.global], r.states, policies, `${ctx.principal.tier ?? 'default'}${s === store ? '' : ':fallback'}`)
      : undefined;
    if (degraded) return { action: 'flag', code: 'budget_degraded', message: 'quota spent at full detail; answering with labels only', headers };
    if (note !== undefined) return { ...note, headers } as GuardVerdict<unknown>;
    return headers === undefined ? undefined : { action: 'allow', headers };
  }

  return {
    name: 'budget',
    /** Refunds to a remote store that failed (the caller stayed charged). */
    stats: {
      get failedRefunds() {
        return failedRefunds;
      },
    },
    mode: o.mode,
    onError: o.onError,
    beforeInference: before,
    // Only a degrading budget changes outputs; without it there is no hook to run.
    ...(degrade && {
      afterInference(ctx: GuardContext<unknown, Prediction[]>): GuardVerdict<Prediction[]> | undefined {
        const r = ctx.state.get(KEY) as Reservation | undefined;
        if (!r?.degraded || !Array.isArray(ctx.output)) return undefined;
        return {
          action: 'modify',
          code: 'output_label',
          message: 'labels only: full-detail quota spent',
          value: ctx.output.map((p) => ({ label: p.label })),
          outputForm: 'label',
        };
      },
    }),
    settle(ctx, { released }) {
      const r = ctx.state.get(KEY) as Reservation | undefined;
      if (r === undefined) return undefined;
      // What stays charged: the weight of what left, or nothing when nothing left.
      const kept = released ? r.rows * (weights[ctx.outputForm] ?? r.weight) : 0;
      const back = Math.max(0, r.rows * r.weight - kept);
      const hasSlot = r.checks.some((c) => c.kind === 'concurrency');
      if (back === 0 && !hasSlot) return undefined;
      const mine = [...(back > 0 ? quotaChecks(r.checks, back) : []), ...r.checks.filter((c) => c.kind === 'concurrency')];
      const theirs = back > 0 && r.global.length > 0 ? quotaChecks(r.global, back) : [];
      if (r.store.refundSync !== undefined) {
        if (mine.length > 0) r.store.refundSync(r.scope, mine);
        if (theirs.length > 0) r.store.refundSync('global', theirs);
        return undefined;
      }
      // A remote store: the answer does not wait for the refund (one round trip less per call).
      // A refund that fails leaves the caller charged (never over-admits) and is counted.
      const refunds = async () => {
        if (mine.length > 0) await withTimeout(r.store.refund(r.scope, mine));
        if (theirs.length > 0) await withTimeout(r.store.refund('global', theirs));
      };
      refunds().catch(() => {
        failedRefunds++;
      });
      return undefined;
    },
  };
}

export type { BudgetPolicyOptions, GlobalLimits, PeriodName, TierLimits } from './schema.js';
export { budgetPolicySchema } from './schema.js';
