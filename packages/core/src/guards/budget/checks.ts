/** Turning tier limits into store checks, and store answers into headers. */
import type { LimitCheck, LimitState } from '../../stores/types.js';
import { PERIOD_MS } from '../../util/periods.js';
import type { GlobalLimits, TierLimits } from './schema.js';

/** Checks for one call: `rows` for the rate, `quotaCost` for quotas, one concurrency lease. */
export function checksFor(
  limits: TierLimits | GlobalLimits,
  rows: number,
  quotaCost: number,
  divideBy = 1,
  lease?: { readonly id: string; readonly ttlMs: number },
): LimitCheck[] {
  const out: LimitCheck[] = [];
  const scale = divideBy === 1 ? same : (n: number) => Math.floor(n / divideBy);
  if (limits.rate) {
    const burst = limits.rate.burst ?? limits.rate.limit;
    out.push({
      key: 'rate',
      kind: 'gcra',
      limit: Math.max(1, scale(limits.rate.limit)),
      burst: Math.max(1, scale(burst)),
      periodMs: PERIOD_MS[limits.rate.per],
      cost: rows,
    });
  }
  for (const q of limits.quotas ?? []) out.push({ key: `quota:${q.per}`, kind: 'window', limit: scale(q.limit), periodMs: PERIOD_MS[q.per], cost: quotaCost });
  if ('concurrency' in limits && limits.concurrency !== undefined && lease !== undefined)
    out.push({ key: 'inflight', kind: 'concurrency', limit: Math.max(1, scale(limits.concurrency)), cost: 1, lease });
  return out;
}
const same = (n: number): number => n;

/**
 * The first check this call can never pass however long it waits (a batch above the rate burst, a
 * cost above a whole quota), or -1. Such a call is refused with `exceeds_limit`, not told to retry.
 */
export function neverFits(checks: readonly LimitCheck[]): number {
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i] as LimitCheck;
    if (c.kind === 'gcra' ? c.cost > (c.burst ?? c.limit) : c.cost > c.limit) return i;
  }
  return -1;
}

/**
 * What to give back: the quota checks with a new cost, each aimed at the window it was charged in
 * (never the next one), and the concurrency lease.
 */
export function refundChecks(checks: readonly LimitCheck[], states: readonly LimitState[], cost: number): LimitCheck[] {
  const out: LimitCheck[] = [];
  checks.forEach((c, i) => {
    if (c.kind === 'window' && cost > 0) out.push({ ...c, cost, windowStart: states[i]?.windowStart });
    else if (c.kind === 'concurrency') out.push(c);
  });
  return out;
}

/**
 * IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): every policy in
 * `RateLimit-Policy`, and in `RateLimit` the one closest to running out. The policy field depends
 * only on the limits, so it is built once per tier (`policyCache`). Quota units are reported in
 * whole rows' worth (`unit`: the cost of one row as the guard reserves it): units that no call can
 * use are not advertised as remaining.
 */
export function rateLimitHeaders(
  checks: readonly LimitCheck[],
  states: readonly LimitState[],
  unit: number,
  policyCache?: Map<string, string>,
  cacheKey?: string,
): Record<string, string> {
  let tightest = -1;
  let tightestShare = Number.POSITIVE_INFINITY;
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i] as LimitCheck;
    if (c.kind !== 'window' && c.kind !== 'gcra') continue;
    const share = usable(c, (states[i] as LimitState).remaining, unit) / Math.max(1, c.limit);
    if (share < tightestShare) {
      tightestShare = share;
      tightest = i;
    }
  }
  if (tightest === -1) return {};
  let policy = cacheKey === undefined ? undefined : policyCache?.get(cacheKey);
  if (policy === undefined) {
    policy = checks
      .filter((c) => c.kind === 'window' || c.kind === 'gcra')
      .map((c) => `"${headerName(c)}";q=${c.kind === 'gcra' ? (c.burst ?? c.limit) : c.limit};w=${Math.round((c.periodMs ?? 1000) / 1000)}`)
      .join(', ');
    if (cacheKey !== undefined) policyCache?.set(cacheKey, policy);
  }
  const c = checks[tightest] as LimitCheck;
  const st = states[tightest] as LimitState;
  return { 'ratelimit-policy': policy, ratelimit: `"${headerName(c)}";r=${usable(c, st.remaining, unit)};t=${Math.ceil(st.resetMs / 1000)}` };
}

/** Remaining units a call can use: quota units in multiples of one row's cost. */
function usable(c: LimitCheck, remaining: number, unit: number): number {
  return c.kind === 'window' && unit > 1 ? Math.floor(remaining / unit) * unit : remaining;
}

const headerName = (c: LimitCheck) => (c.kind === 'gcra' ? 'rate' : c.key.slice(6));
