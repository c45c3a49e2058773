import { type Infer, s } from '../../policy/schema.js';

const PERIODS = ['second', 'minute', 'hour', 'day', 'month'] as const;
export type PeriodName = (typeof PERIODS)[number];

/** Period lengths in ms. A month is 30 days, windows aligned to the Unix epoch. */
export const PERIOD_MS: Record<PeriodName, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, month: 2_592_000_000 };

const rate = s.object({
  /** Rows per period (smooth, GCRA). */
  limit: s.int({ min: 1, max: 1e12 }),
  per: s.enumOf(PERIODS),
  /** Rows that may arrive at once (default: `limit`). */
  burst: s.optional(s.int({ min: 1, max: 1e12 })),
});

const quota = s.object({
  /** Cost units per period (rows × the weight of what each answer revealed). */
  limit: s.int({ min: 0, max: 1e15 }),
  per: s.enumOf(PERIODS),
});

const tier = s.object({
  rate: s.optional(rate),
  quotas: s.optional(s.array(quota, { maxItems: 8 })),
  /** Calls in flight at once for one caller. */
  concurrency: s.optional(s.int({ min: 1, max: 1e6 })),
});

const globalLimits = s.object({ rate: s.optional(rate), quotas: s.optional(s.array(quota, { maxItems: 8 })) });

/** Options of the budget guard that a policy file can hold (the store is named, not built). */
export const budgetPolicySchema = s.object({
  /** Name of a store the application registered (`memory` is always there). */
  store: s.optional(s.string({ maxLength: 100 })),
  /** Limits by tier; a caller's tier comes from its API key (`auth.apiKeys[].tier`), else `default`. */
  tiers: tierMap(),
  global: s.optional(globalLimits),
  /** Cost weight per row of each output form. */
  weights: s.optional(
    s.object({
      label: s.optional(s.int({ min: 0, max: 1000 })),
      'top-k': s.optional(s.int({ min: 0, max: 1000 })),
      rounded: s.optional(s.int({ min: 0, max: 1000 })),
      raw: s.optional(s.int({ min: 0, max: 1000 })),
    }),
  ),
  /** When a quota is spent: refuse (`deny`), or answer with labels only while label-weight budget lasts (`degrade`). */
  onExhausted: s.optional(s.enumOf(['deny', 'degrade'] as const)),
  /** When the store cannot decide: refuse (`deny`, 503), let the call through (`allow`), or use a local store with limits ÷ replicas (`fallback`). */
  onStoreError: s.optional(s.enumOf(['deny', 'allow', 'fallback'] as const)),
  /** Replicas sharing the store; the fallback's local limits are divided by it. */
  replicas: s.optional(s.int({ min: 1, max: 10_000 })),
  /** Time limit of one store decision, ms (default 250). */
  storeTimeoutMs: s.optional(s.number({ gt: 0, max: 60_000 })),
  /** Send RateLimit-Policy / RateLimit headers (default true). */
  headers: s.optional(s.boolean()),
  mode: s.optional(s.enumOf(['enforce', 'monitor'] as const)),
  onError: s.optional(s.enumOf(['deny', 'allow'] as const)),
});

/** Tiers: `default` is required, any other name maps to the same shape. */
function tierMap() {
  return {
    parse(value: unknown, path: string, issues: { path: string; rule: string; received: string }[]) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.push({ path, rule: 'must be an object of tiers', received: typeof value });
        return undefined;
      }
      const out: Record<string, Infer<typeof tier>> = Object.create(null);
      const before = issues.length;
      if (!Object.hasOwn(value, 'default')) issues.push({ path: `${path}.default`, rule: 'is required', received: 'undefined' });
      for (const [name, limits] of Object.entries(value)) {
        if (!/^[a-z0-9][a-z0-9_-]{0,62}$/i.test(name))
          issues.push({ path: `${path}.${name}`, rule: 'tier names are [A-Za-z0-9_-], up to 63 characters', received: JSON.stringify(name) });
        const parsed = tier.parse(limits, `${path}.${name}`, issues);
        if (parsed !== undefined) out[name] = parsed;
      }
      return issues.length === before ? out : undefined;
    },
  };
}

export type TierLimits = Infer<typeof tier>;
export type GlobalLimits = Infer<typeof globalLimits>;
export type BudgetPolicyOptions = Infer<typeof budgetPolicySchema>;
