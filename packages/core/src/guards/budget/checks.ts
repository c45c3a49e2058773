/** Turning tier limits into store checks, and store answers into headers. */
import type { LimitCheck, LimitState } from '../../stores/types.js';
import { type GlobalLimits, PERIOD_MS, type TierLimits } from './schema.js';

/** Checks for one call: `rows` for the rate, `quotaCost` for quotas, one concurrency slot. */
export function checksFor(limits: TierLimits | GlobalLimits, rows: number, quotaCost: number, divideBy = 1): LimitCheck[] {
  const out: LimitCheck[] = [];
  const scale = (n: number) => (divideBy === 1 ? n : Math.floor(n / divideBy));
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
  if ('concurrency' in limits && limits.concurrency !== undefined)
    out.push({ key: 'inflight', kind: 'concurrency', limit: Math.max(1, scale(limits.concurrency)), cost: 1 });
  return out;
}

/** Only the quota checks, with a new cost (for refunds of what was not released). */
export const quotaChecks = (checks: readonly LimitCheck[], cost: number): LimitCheck[] =>
  checks.filter((c) => c.kind === 'window').map((c) => ({ ...c, cost }));

/**
 * IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): every policy in
 * `RateLimit-Policy`, and in `RateLimit` the one closest to running out.
 */
export function rateLimitHeaders(checks: readonly LimitCheck[], states: readonly LimitState[]): Record<string, string> {
  const named = checks.map((c, i) => ({ c, s: states[i] as LimitState })).filter(({ c }) => c.kind === 'window' || c.kind === 'gcra');
  if (named.length === 0) return {};
  const name = (c: LimitCheck) => (c.kind === 'gcra' ? 'rate' : c.key.replace('quota:', ''));
  const policy = named
    .map(({ c }) => `"${name(c)}";q=${c.kind === 'gcra' ? (c.burst ?? c.limit) : c.limit};w=${Math.round((c.periodMs ?? 1000) / 1000)}`)
    .join(', ');
  const tightest = named.reduce((a, b) => (b.s.remaining / Math.max(1, b.c.limit) < a.s.remaining / Math.max(1, a.c.limit) ? b : a));
  return {
    'ratelimit-policy': policy,
    ratelimit: `"${name(tightest.c)}";r=${tightest.s.remaining};t=${Math.ceil(tightest.s.resetMs / 1000)}`,
  };
}
