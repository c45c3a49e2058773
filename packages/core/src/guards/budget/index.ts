/**
 * budget: per-caller rate limits, quotas and concurrency caps, a global limit across all callers,
 * and costs that count what an answer reveals.
 *
 * A call of N rows costs N on the rate limit (abuse) and N × weight on the quotas (information),
 * where the weight is that of the answer's disclosure (label < top-k < rounded, noised < raw).
 * Before inference the guard reserves at the weight of the most revealing answer the pipeline can
 * release (`ctx.maxDisclosure`, known from the output guards), so a quota admits exactly what it
 * says; once the call is over it refunds the difference to what actually left. A call that
 * releases nothing is refunded its quota charge (its rate charge stays: it still cost the server).
 * A call that no wait could ever admit (a batch above the burst, a cost above a whole quota) is
 * refused with `exceeds_limit` and no Retry-After.
 *
 * The caller's limits are decided in one atomic store call, then the global ones in another (they
 * live in different Redis Cluster slots); a global refusal refunds the caller's charge.
 */
import type { Disclosure } from '../../disclosure.js';
import { ConfigError } from '../../errors.js';
import { addressGroup } from '../../principal/ip.js';
import { budgetTighteningKey } from '../../signals.js';
import { MemoryStore } from '../../stores/memory.js';
import { namedBudgetStore } from '../../stores/named.js';
import { type BudgetStore, type ConsumeOptions, type ConsumeResult, type LimitCheck, type LimitState, StoreError } from '../../stores/types.js';
import type { Guard, GuardContext, GuardVerdict, Prediction } from '../../types.js';
import { DeadlineQueue } from '../../util/timeout.js';
import { defineGuard, type GuardFactoryContext } from '../define.js';
import { checksFor, neverFits, rateLimitHeaders, refundChecks } from './checks.js';
import { type BudgetOptions, budgetSchema, type TierLimits } from './schema.js';

export type { BudgetOptions, BudgetWeights, GlobalLimits, TierLimits } from './schema.js';

/**
 * What a call holds from its store decision, to settle it; also the call's allow verdict (one
 * object per call, not three), whose RateLimit headers are built only when the answer's headers
 * are read (the pipeline calls `headers()` as a method of the verdict).
 */
class Reservation {
  readonly action = 'allow' as const;
  /** A concurrency slot was taken (it is given back in settle). */
  readonly leased: boolean;
  constructor(
    readonly store: BudgetStore,
    /** The scope charged: the caller's hash, or an overflow bucket of a full store. */
    readonly scope: string,
    readonly checks: LimitCheck[],
    readonly states: readonly LimitState[],
    readonly global: LimitCheck[],
    readonly globalStates: readonly LimitState[],
    readonly rows: number,
    readonly weight: number,
    readonly degraded: boolean,
    private readonly policies: Map<string, string>,
    private readonly cacheKey: string,
  ) {
    this.leased = checks.length > 0 && checks[checks.length - 1]?.kind === 'concurrency';
  }

  headers(): Record<string, string> {
    return this.global.length > 0
      ? rateLimitHeaders([...this.checks, ...this.global], [...this.states, ...this.globalStates], this.weight, this.policies, this.cacheKey)
      : rateLimitHeaders(this.checks, this.states, this.weight, this.policies, this.cacheKey);
  }
}

interface Plan {
  readonly checks: LimitCheck[];
  readonly global: LimitCheck[];
}

type Charge =
  | { ok: true; scope: string; checks: LimitCheck[]; states: readonly LimitState[]; global: LimitCheck[]; globalStates: readonly LimitState[] }
  | { ok: false; result: ConsumeResult; checks: LimitCheck[]; scopeName: 'caller' | 'global' };

/** Everything charged in one store call, aimed at the windows it was charged in (to undo it). */
const undo = (checks: readonly LimitCheck[], states: readonly LimitState[]): LimitCheck[] =>
  checks.map((c, i) => (c.kind === 'window' ? { ...c, windowStart: states[i]?.windowStart } : c));

/** What one attempt came to: charged or refused by the store, no call could fit, or let through on a store outage. */
type Exceeds = { ok: 'exceeds'; verdict: GuardVerdict<unknown>; quota: boolean };
type Lease = { readonly id: string; readonly ttlMs: number };
type Outcome = Charge | Exceeds | { ok: 'open' };

const KEY = Symbol('budget');
const NONE: LimitCheck[] = [];
const NONE_STATES: readonly LimitState[] = [];
class StoreDown extends Error {}
const warned = new Set<string>();

/** The guard as created, with its counters for tests and metrics. */
export type BudgetGuard = Guard<unknown, Prediction[]> & { readonly stats: { readonly failedRefunds: number } };

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
 * @throws {ConfigError} on invalid limits, an unknown store, or a caller tier the budget does not define.
 */
export const budget = defineGuard({
  use: 'budget',
  description: 'Per-caller rate limits, quotas and concurrency caps weighted by what answers reveal, and global limits',
  schema: budgetSchema,
  create: createBudget,
});

function createBudget(o: BudgetOptions, context: GuardFactoryContext): BudgetGuard {
  const store = namedBudgetStore(o.store, context, 'store', 'budget options');
  const tiers = o.tiers as Readonly<Record<string, TierLimits>>;
  const missing = (context.tiers ?? []).filter((t) => !Object.hasOwn(tiers, t));
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((t) => ({
        code: 'unknown_tier',
        path: `tiers.${t}`,
        rule: 'is a tier of an API key, so the budget must define it (no silent fall back to default)',
        received: 'undefined',
      })),
      'budget options',
    );
  }
  const weights = o.weights;
  const degrade = o.onExhausted === 'degrade';
  const onStoreError = o.onStoreError;
  const replicas = o.replicas;
  const timeoutMs = o.storeTimeoutMs;
  const headersOn = o.headers;
  const tightenOnRisk = o.tightenOnRisk;
  // A local store for outages, with the limits divided by the number of replicas.
  const fallback = onStoreError === 'fallback' ? new MemoryStore() : undefined;
  const policies = new Map<string, string>();
  let failedRefunds = 0;
  if (store.localKeys && replicas > 1 && !warned.has('store')) {
    warned.add('store');
    context.logger.warn(`budget: a per-process store (${store.name}) behind ${replicas} replicas admits up to ${replicas}× the limits; use a shared store`, {
      code: 'BULWARK_LOCAL_STORE',
    });
  }

  // The weight of the most revealing answer, cached per pipeline (a descriptor is immutable).
  let lastMax: Disclosure | undefined;
  let lastWeight = weights.raw;
  const reserveWeight = (d: Disclosure): number => {
    if (d !== lastMax) {
      lastMax = d;
      lastWeight = weights[d.kind];
    }
    return lastWeight;
  };

  function limitsOf(ctx: GuardContext<unknown, Prediction[]>): TierLimits {
    const tier = ctx.principal.tier;
    if (tier === undefined) return tiers.default as TierLimits;
    const limits = Object.hasOwn(tiers, tier) ? tiers[tier] : undefined;
    if (limits === undefined) {
      // Fails the call closed (guard_failure): a tier the budget does not define is a configuration error.
      throw new ConfigError(
        [{ code: 'unknown_tier', path: `tiers.${tier}`, rule: 'a caller carries this tier, so the budget must define it', received: 'undefined' }],
        'budget options',
      );
    }
    return limits;
  }

  /** A store call with the guard's time limit; any failure becomes a StoreError (the failure policy applies). */
  const deadlines = new DeadlineQueue(timeoutMs);
  const late = () => new StoreError(`store ${store.name} did not answer within ${timeoutMs} ms`);
  const asStoreError = (e: unknown) => (e instanceof StoreError ? e : new StoreError(`store ${store.name} failed`, { cause: e }));
  const timed = <T>(p: Promise<T>): Promise<T> => deadlines.race(p, late, asStoreError);

  const plan = (limits: TierLimits, rows: number, weight: number, divideBy: number, lease: Lease | undefined): Plan => ({
    checks: checksFor(limits, rows, rows * weight, divideBy, lease),
    global: o.global ? checksFor(o.global, rows, rows * weight, divideBy) : [],
  });
  /**
   * The hot path's plan: the checks of the last (rows, weight) of each tier, built once and reused
   * while calls look alike (the store keeps none of them); only a concurrency lease is per call.
   */
  const memos = new Map<TierLimits, Plan & { readonly rows: number; readonly weight: number; readonly fits: boolean }>();
  const planSync = (limits: TierLimits, rows: number, weight: number, lease: Lease | undefined): Plan | undefined => {
    let m = memos.get(limits);
    if (m === undefined || m.rows !== rows || m.weight !== weight) {
      const p = plan(limits, rows, weight, 1, undefined);
      m = { ...p, rows, weight, fits: neverFits(p.checks) === -1 && neverFits(p.global) === -1 };
      memos.set(limits, m);
    }
    if (!m.fits) return undefined;
    if (lease === undefined) return m;
    const inflight = checksFor({ concurrency: limits.concurrency }, rows, 0, 1, lease);
    return { checks: [...m.checks, ...inflight], global: m.global };
  };
  /** The overflow bucket of the call being decided synchronously, computed only if a full store asks for it. */
  let deciding: GuardContext<unknown, Prediction[]> | undefined;
  const lazyOverflow: ConsumeOptions = {
    get overflowScope() {
      return deciding === undefined ? undefined : overflowOf(deciding).overflowScope;
    },
  };
  /** A concurrency slot is a lease with a random id: its release is by id, a lost release costs at most `leaseMs`. */
  const leaseFor = (ctx: GuardContext<unknown, Prediction[]>, limits: TierLimits): Lease | undefined =>
    limits.concurrency === undefined ? undefined : { id: Buffer.from(ctx.random.fill(new Uint8Array(16))).toString('base64url'), ttlMs: o.leaseMs };
  /**
   * Where a full in-process store charges a caller it has never seen: a bucket shared by its address
   * group (IPv4 /16, IPv6 /32) or, for callers with an id, by that id. Never a refusal, never unlimited.
   */
  const overflowOf = (ctx: GuardContext<unknown, Prediction[]>): ConsumeOptions => ({
    overflowScope: ctx.principal.kind === 'ip' ? `ip:${addressGroup(ctx.principal.id)}` : `id:${ctx.principal.hash}`,
  });

  function refusal(result: ConsumeResult, checks: readonly LimitCheck[], scopeName: string, unit: number): GuardVerdict<unknown> {
    const c = checks[result.refusedBy ?? 0] as LimitCheck;
    const headers = headersOn ? rateLimitHeaders(checks, result.states, unit) : undefined;
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

  /** The refusal of a call that no wait could admit, or undefined. */
  function exceeds(p: Plan): Exceeds | undefined {
    for (const [checks, scopeName] of [
      [p.checks, 'caller'],
      [p.global, 'global'],
    ] as const) {
      const i = neverFits(checks);
      if (i === -1) continue;
      const c = checks[i] as LimitCheck;
      const most = c.kind === 'gcra' ? (c.burst ?? c.limit) : c.limit;
      const name = c.kind === 'gcra' ? 'rate burst' : `${c.key.replace('quota:', '')} quota`;
      const verdict: GuardVerdict<unknown> = {
        action: 'deny',
        code: 'exceeds_limit',
        message: `this call costs ${c.cost} units; the ${scopeName} ${name} admits at most ${most} at once: send smaller batches`,
        attributes: { 'bulwark.budget.limit': c.key, 'bulwark.budget.scope': scopeName },
      };
      return { ok: 'exceeds', verdict, quota: c.kind === 'window' };
    }
    return undefined;
  }

  // The caller's limits, then the global ones (another Cluster slot); a global refusal refunds
  // the caller. Written twice on purpose: once for stores that answer synchronously (no promise,
  // no timer: the hot path of the MemoryStore), once for remote stores (with the timeout).
  /**
   * A remote decision within the time limit. The store may still run a decision the guard gave up
   * on: when it later turns out to have taken a lease, the lease is given back (idempotent). Quota
   * and rate charges of such a decision stay (never over-admits).
   */
  function consumeTimed(s: BudgetStore, scope: string, checks: LimitCheck[], options: ConsumeOptions | undefined): Promise<ConsumeResult> {
    const raw = s.consume(scope, checks, options);
    return timed(raw).catch((err: unknown) => {
      const leases = checks.filter((c) => c.kind === 'concurrency');
      if (leases.length > 0) {
        raw.then(
          (r) => {
            if (r.allowed) s.refund(r.scope ?? scope, leases).catch(() => failedRefunds++);
          },
          () => {},
        );
      }
      throw err;
    });
  }
  async function charge(s: BudgetStore, scope: string, p: Plan, options: ConsumeOptions | undefined): Promise<Charge> {
    const mine = p.checks.length > 0 ? await consumeTimed(s, scope, p.checks, options) : undefined;
    if (mine && !mine.allowed) return { ok: false, result: mine, checks: p.checks, scopeName: 'caller' };
    const charged = mine?.scope ?? scope;
    const all = p.global.length > 0 ? await consumeTimed(s, 'global', p.global, undefined) : undefined;
    if (all && !all.allowed) {
      if (mine) await timed(s.refund(charged, undo(p.checks, mine.states)));
      return { ok: false, result: all, checks: p.global, scopeName: 'global' };
    }
    return { ok: true, scope: charged, checks: p.checks, states: mine?.states ?? [], global: p.global, globalStates: all?.states ?? [] };
  }
  function chargeSync(s: BudgetStore, scope: string, p: Plan, options: ConsumeOptions | undefined): Charge {
    const consume = s.consumeSync as NonNullable<BudgetStore['consumeSync']>;
    const mine = p.checks.length > 0 ? consume.call(s, scope, p.checks, options) : undefined;
    if (mine && !mine.allowed) return { ok: false, result: mine, checks: p.checks, scopeName: 'caller' };
    const charged = mine?.scope ?? scope;
    const all = p.global.length > 0 ? consume.call(s, 'global', p.global) : undefined;
    if (all && !all.allowed) {
      if (mine) s.refundSync?.(charged, undo(p.checks, mine.states));
      return { ok: false, result: all, checks: p.global, scopeName: 'global' };
    }
    return { ok: true, scope: charged, checks: p.checks, states: mine?.states ?? [], global: p.global, globalStates: all?.states ?? [] };
  }

  function allowed(ctx: GuardContext<unknown, Prediction[]>, r: Reservation): GuardVerdict<unknown> | undefined {
    ctx.state.set(KEY, r);
    return headersOn ? r : undefined;
  }
  const reservation = (s: BudgetStore, c: Charge & { ok: true }, rows: number, weight: number, degraded: boolean, cacheKey: string): Reservation =>
    new Reservation(s, c.scope, c.checks, c.states, c.global, c.globalStates, rows, weight, degraded, policies, cacheKey);

  /**
   * In-process stores decide synchronously: the whole guard then runs without a promise (its cost
   * is in docs/benchmarks.md). Degrading, limits no call can meet and store failures take the
   * general path (`null`).
   */
  function beforeSync(ctx: GuardContext<unknown, Prediction[]>): GuardVerdict<unknown> | undefined | null {
    const limits = limitsOf(ctx);
    const weight = reserveWeight(ctx.maxDisclosure);
    const p = planSync(limits, ctx.queries, weight, leaseFor(ctx, limits));
    if (p === undefined) return null;
    let r: Charge;
    deciding = ctx;
    try {
      r = chargeSync(store, ctx.principal.hash, p, lazyOverflow);
    } catch (err) {
      if (err instanceof StoreError) return null;
      throw err;
    } finally {
      deciding = undefined;
    }
    if (!r.ok) return degrade ? null : refusal(r.result, r.checks, r.scopeName, weight);
    return allowed(ctx, reservation(store, r, ctx.queries, weight, false, ctx.principal.tier ?? 'default'));
  }

  function before(ctx: GuardContext<unknown, Prediction[]>): GuardVerdict<unknown> | undefined | Promise<GuardVerdict<unknown> | undefined> {
    // A caller whose risk tightened its budget takes the general path (limits divided).
    if (tightenOnRisk && (ctx.get(budgetTighteningKey) ?? 1) > 1) return beforeAsync(ctx);
    if (store.consumeSync !== undefined) {
      const v = beforeSync(ctx);
      if (v !== null) return v;
      return beforeAsync(ctx);
    }
    return beforeRemote(ctx);
  }

  /**
   * A remote store's hot path: one store call under one deadline, one promise chain. A call with
   * global limits (two store calls), one that no wait could admit, a refusal that may degrade and a
   * store failure take the general path (`decide`), which applies the failure policy.
   */
  function beforeRemote(ctx: GuardContext<unknown, Prediction[]>): Promise<GuardVerdict<unknown> | undefined> {
    const limits = limitsOf(ctx);
    const weight = reserveWeight(ctx.maxDisclosure);
    const p = planSync(limits, ctx.queries, weight, leaseFor(ctx, limits));
    if (p === undefined || p.global.length > 0 || p.checks.length === 0) return beforeAsync(ctx);
    const scope = ctx.principal.hash;
    const checks = p.checks;
    return consumeTimed(store, scope, checks, undefined).then(
      (mine): GuardVerdict<unknown> | undefined | Promise<GuardVerdict<unknown> | undefined> => {
        if (!mine.allowed) return degrade ? beforeAsync(ctx) : refusal(mine, checks, 'caller', weight);
        const cacheKey = ctx.principal.tier ?? 'default';
        return allowed(
          ctx,
          new Reservation(store, mine.scope ?? scope, checks, mine.states, NONE, NONE_STATES, ctx.queries, weight, false, policies, cacheKey),
        );
      },
      (err: unknown) => {
        if (!(err instanceof StoreError)) throw err;
        return beforeAsync(ctx, true);
      },
    );
  }

  async function beforeAsync(ctx: GuardContext<unknown, Prediction[]>, storeFailed = false): Promise<GuardVerdict<unknown> | undefined> {
    try {
      return await decide(ctx, storeFailed);
    } catch (err) {
      // Failing closed on a store outage is a decision with its own code (503 store_unavailable),
      // not a guard failure; anything else is a bug and fails closed as one.
      if (err instanceof StoreDown) return { action: 'deny', code: 'store_unavailable', message: 'budget store unavailable' };
      throw err;
    }
  }

  /** The general path; `storeFailed`: the store already failed this call (the hot path's attempt), go straight to the failure policy. */
  async function decide(ctx: GuardContext<unknown, Prediction[]>, storeFailed: boolean): Promise<GuardVerdict<unknown> | undefined> {
    const limits = limitsOf(ctx);
    const scope = ctx.principal.hash;
    const lease = leaseFor(ctx, limits);
    const overflow = overflowOf(ctx);
    let s: BudgetStore = store;
    // risk-response's tighten level divides this caller's limits (a budget with tightenOnRisk).
    const factor = tightenOnRisk ? Math.max(1, ctx.get(budgetTighteningKey) ?? 1) : 1;
    let divideBy = factor;
    let note: GuardVerdict<unknown> | undefined;
    /** One decision at `weight`, on the store or, once it has failed, as the failure policy says. */
    const attempt = async (weight: number): Promise<Outcome> => {
      const p = plan(limits, ctx.queries, weight, divideBy, lease);
      const too = exceeds(p);
      if (too !== undefined) return too;
      try {
        if (storeFailed && s === store) throw new StoreError(`store ${store.name} failed`);
        return await charge(s, scope, p, overflow);
      } catch (err) {
        if (!(err instanceof StoreError) || s === fallback) throw err;
        if (onStoreError === 'deny') throw new StoreDown();
        if (onStoreError === 'allow') {
          note = { action: 'flag', code: 'store_unavailable_open', message: 'budget store unavailable; allowed as configured' };
          return { ok: 'open' };
        }
        s = fallback as BudgetStore;
        divideBy = replicas * factor;
        note = { action: 'flag', code: 'store_fallback', message: `budget store unavailable; local limits ÷ ${replicas}` };
        const q = plan(limits, ctx.queries, weight, divideBy, lease);
        return exceeds(q) ?? charge(s, scope, q, overflow);
      }
    };
    let weight = reserveWeight(ctx.maxDisclosure);
    let r = await attempt(weight);
    let degraded = false;
    const byQuota = r.ok === 'exceeds' ? r.quota : r.ok === false && r.checks[r.result.refusedBy ?? -1]?.kind === 'window';
    if (degrade && byQuota && weights.label < weight) {
      weight = weights.label;
      r = await attempt(weight);
      degraded = r.ok === true;
    }
    if (r.ok === 'open') return note;
    if (r.ok === 'exceeds') return tightened(r.verdict, factor);
    if (!r.ok) return tightened(refusal(r.result, r.checks, r.scopeName, weight), factor);
    const cacheKey = `${ctx.principal.tier ?? 'default'}${s === store ? '' : ':fallback'}:${weight}${factor > 1 ? `:t${factor}` : ''}`;
    const reserved = reservation(s, r, ctx.queries, weight, degraded, cacheKey);
    const verdict = allowed(ctx, reserved);
    const headers = verdict === undefined ? undefined : () => reserved.headers();
    if (degraded) return { action: 'flag', code: 'budget_degraded', message: 'quota spent at full detail; answering with labels only', headers };
    if (note !== undefined) return { ...note, headers } as GuardVerdict<unknown>;
    return verdict;
  }

  /** A refusal under limits the caller's risk tightened says so (the limits it names are the divided ones). */
  function tightened(v: GuardVerdict<unknown>, factor: number): GuardVerdict<unknown> {
    if (factor <= 1 || v.action !== 'deny') return v;
    return {
      ...v,
      message: `${v.message} (limits divided by ${factor} by this caller's risk)`,
      attributes: { ...v.attributes, 'bulwark.budget.tightened': factor },
    };
  }

  return {
    name: 'budget',
    // Declared only when asked for: the pipeline then checks that a writer (risk-response) comes first.
    ...(tightenOnRisk && { signals: { reads: [budgetTighteningKey] } }),
    stats: {
      get failedRefunds() {
        return failedRefunds;
      },
    },
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
          disclosure: { kind: 'label' },
        };
      },
    }),
    settle(ctx, { released }) {
      const r = ctx.state.get(KEY) as Reservation | undefined;
      if (r === undefined) return undefined;
      // What stays charged: the weight of what left (never more than was reserved), or nothing.
      const kept = released ? r.rows * Math.min(r.weight, weights[ctx.disclosure.kind]) : 0;
      const back = Math.max(0, r.rows * r.weight - kept);
      // The common case: the answer revealed what was reserved and no slot is held.
      if (back === 0 && r.leased === false) return undefined;
      const mine = refundChecks(r.checks, r.states, back);
      const theirs = back > 0 && r.global.length > 0 ? refundChecks(r.global, r.globalStates, back) : [];
      if (mine.length === 0 && theirs.length === 0) return undefined;
      if (r.store.refundSync !== undefined) {
        if (mine.length > 0) r.store.refundSync(r.scope, mine);
        if (theirs.length > 0) r.store.refundSync('global', theirs);
        return undefined;
      }
      // A remote store: the answer does not wait for the refund (one round trip less per call).
      // A refund that fails leaves the caller charged (never over-admits) and is counted.
      const refunds = async () => {
        if (mine.length > 0) await timed(r.store.refund(r.scope, mine));
        if (theirs.length > 0) await timed(r.store.refund('global', theirs));
      };
      refunds().catch(() => {
        failedRefunds++;
      });
      return undefined;
    },
  };
}
