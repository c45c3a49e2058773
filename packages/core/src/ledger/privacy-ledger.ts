/**
 * The privacy ledger: per-caller and global privacy budgets, per period and for life, on the same
 * store contract as query budgets. Used by output-noise mechanisms: reserve the cost of a release
 * *before* releasing anything, then either commit (it was released) or refund (nothing was).
 *
 * - Amounts are integer micro-units (1e-6 ε or ρ), costs rounded **up**.
 * - A reservation is charged at once: a process that dies between reserve and release has spent
 *   it (conservative); refunds are only allowed before anything is released, and only once.
 * - Accounting: `pure` (ε-DP, basic composition: ε adds up) by default, or `zcdp` (ρ adds up;
 *   a pure ε mechanism costs ρ = ε²/2; report the (ε, δ) it implies with `epsilonAt`).
 * - A ledger always fails closed: a store outage refuses the release (`store_unavailable`).
 * - Per-caller budgets do not stop colluding callers: set a `global` budget too.
 */
import { BulwarkError, ConfigError, type ConfigIssueInput } from '../errors.js';
import { type BudgetStore, isBudgetStore, type LimitCheck, StoreError } from '../stores/types.js';
import { PERIOD_MS, type PeriodName } from '../util/periods.js';

export interface PrivacyBudget {
  /** Budget for the caller's whole life (never resets). */
  readonly lifetime?: number;
  /** Budgets per period. */
  readonly periods?: readonly { readonly budget: number; readonly per: PeriodName }[];
}

export interface PrivacyLedgerOptions {
  readonly store: BudgetStore;
  /** `pure` (costs are ε) or `zcdp` (costs are ρ). Default `pure`. */
  readonly accounting?: 'pure' | 'zcdp';
  readonly perCaller: PrivacyBudget;
  readonly global?: PrivacyBudget;
}

export const MICRO = 1_000_000;

/** Micro-units of an amount, rounded up (never under-charges). */
export function toMicro(amount: number): number {
  if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`privacy cost must be a finite number >= 0 (received ${amount})`);
  // Rounded to 12 significant digits first, so 0.3 costs 300000 and not 300001 (float noise),
  // then up: a fraction of a micro-unit is charged as a whole one.
  return Math.ceil(Number((amount * MICRO).toPrecision(12)));
}

/** zCDP → (ε, δ)-DP: ε = ρ + 2·sqrt(ρ·ln(1/δ)) (Bun & Steinke 2016, Prop. 1.3). */
export function epsilonAt(rho: number, delta: number): number {
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

export interface Reservation {
  /** Micro-units charged. */
  readonly micro: number;
  /** Marks the reservation released: it can no longer be refunded. */
  commit(): void;
  /** Gives the charge back; only before commit, and only once. */
  refund(): Promise<void>;
}

function checks(b: PrivacyBudget, micro: number): LimitCheck[] {
  const out: LimitCheck[] = [];
  if (b.lifetime !== undefined) out.push({ key: 'privacy:life', kind: 'total', limit: toMicro(b.lifetime), cost: micro });
  for (const p of b.periods ?? []) out.push({ key: `privacy:${p.per}`, kind: 'window', limit: toMicro(p.budget), periodMs: PERIOD_MS[p.per], cost: micro });
  return out;
}

export class PrivacyLedger {
  readonly accounting: 'pure' | 'zcdp';
  readonly #o: PrivacyLedgerOptions;

  constructor(options: PrivacyLedgerOptions) {
    this.#o = options;
    this.accounting = options.accounting ?? 'pure';
    const issues: ConfigIssueInput[] = [];
    if (!isBudgetStore(options.store)) issues.push({ path: 'store', rule: 'must be a BudgetStore (MemoryStore, RedisStore)', received: typeof options.store });
    if (this.accounting !== 'pure' && this.accounting !== 'zcdp')
      issues.push({ path: 'accounting', rule: 'must be "pure" or "zcdp"', received: String(this.accounting) });
    for (const [name, b] of [
      ['perCaller', options.perCaller],
      ['global', options.global],
    ] as const) {
      (b?.periods ?? []).forEach((p, i) => {
        if (!Object.hasOwn(PERIOD_MS, p.per))
          issues.push({ path: `${name}.periods[${i}].per`, rule: `must be one of ${Object.keys(PERIOD_MS).join(', ')}`, received: String(p.per) });
      });
      for (const v of [b?.lifetime, ...(b?.periods ?? []).map((p) => p.budget)]) {
        if (v !== undefined && !(Number.isFinite(v) && v >= 0)) issues.push({ path: name, rule: 'budgets must be finite numbers >= 0', received: String(v) });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues, 'PrivacyLedger options');
  }

  /**
   * Charges `cost` (ε for pure accounting, ρ for zCDP) to the caller and to the global budget,
   * atomically per scope; refuses with `budget_exhausted` when either would go over.
   */
  async reserve(scope: string, cost: number): Promise<Reservation> {
    const micro = toMicro(cost);
    const store = this.#o.store;
    const mine = checks(this.#o.perCaller, micro);
    const all = this.#o.global ? checks(this.#o.global, micro) : [];
    try {
      const a = mine.length > 0 ? await store.consume(scope, mine) : undefined;
      if (a && !a.allowed)
        throw new BulwarkError('budget_exhausted', 'privacy budget spent for this caller', {
          retryAfterSeconds: a.retryAfterMs > 0 ? a.retryAfterMs / 1000 : undefined,
        });
      const b = all.length > 0 ? await store.consume('global', all) : undefined;
      if (b && !b.allowed) {
        if (mine.length > 0) await store.refund(scope, mine);
        throw new BulwarkError('budget_exhausted', 'global privacy budget spent', {
          retryAfterSeconds: b.retryAfterMs > 0 ? b.retryAfterMs / 1000 : undefined,
        });
      }
    } catch (err) {
      if (err instanceof StoreError || !(err instanceof BulwarkError)) {
        // A ledger never fails open: no answer from the store, no release.
        throw new BulwarkError('store_unavailable', 'privacy ledger unavailable', { cause: err });
      }
      throw err;
    }
    let state: 'open' | 'committed' | 'refunded' = 'open';
    return {
      micro,
      commit() {
        if (state === 'open') state = 'committed';
      },
      async refund() {
        if (state !== 'open') return;
        state = 'refunded';
        if (mine.length > 0) await store.refund(scope, mine);
        if (all.length > 0) await store.refund('global', all);
      },
    };
  }

  /**
   * What a caller has spent of its lifetime budget, and the guarantee it amounts to: ε for pure
   * accounting; for zCDP, ρ and the (ε, δ) it implies at `delta`.
   */
  async report(scope: string, delta = 1e-6): Promise<{ accounting: 'pure' | 'zcdp'; spent: number; remaining: number; epsilon: number; delta: number }> {
    const life = this.#o.perCaller.lifetime;
    if (life === undefined) throw new RangeError('PrivacyLedger.report needs a lifetime budget');
    const limit = toMicro(life);
    const r = await this.#o.store.consume(scope, [{ key: 'privacy:life', kind: 'total', limit, cost: 0 }]);
    const left = r.states[0]?.remaining ?? 0;
    // From the integer micro-units, so the figures are exact.
    const remaining = left / MICRO;
    const spent = Math.max(0, limit - left) / MICRO;
    return {
      accounting: this.accounting,
      spent,
      remaining,
      epsilon: this.accounting === 'pure' ? spent : epsilonAt(spent, delta),
      delta: this.accounting === 'pure' ? 0 : delta,
    };
  }

  /** Micro-units left for a caller (the tightest of its budgets). */
  async remaining(scope: string): Promise<number> {
    const mine = checks(this.#o.perCaller, 0);
    if (mine.length === 0) return Number.POSITIVE_INFINITY;
    const r = await this.#o.store.consume(scope, mine);
    return Math.min(...r.states.map((s) => s.remaining));
  }
}
