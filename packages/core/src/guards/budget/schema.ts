/** Options of the budget guard, as code and as a policy file's `with:` block; defaults and docs live here. */
import { type Infer, s } from '../../policy/schema.js';
import { type BudgetStore, isBudgetStore } from '../../stores/types.js';
import { PERIODS } from '../../util/periods.js';

const rate = s.object({
  limit: s.doc(s.int({ min: 1, max: 1e12 }), 'rows per period (smooth, GCRA)'),
  per: s.enumOf(PERIODS),
  burst: s.doc(s.optional(s.int({ min: 1, max: 1e12 })), 'rows that may arrive at once (default: limit)'),
});
const quota = s.object({
  limit: s.doc(s.int({ min: 0, max: 1e15 }), 'cost units per period: rows × the weight of what each answer revealed'),
  per: s.enumOf(PERIODS),
});
const tier = s.object({
  rate: s.optional(rate),
  quotas: s.optional(s.array(quota, { maxItems: 8 })),
  concurrency: s.doc(s.optional(s.int({ min: 1, max: 1e6 })), 'calls in flight at once for one caller'),
});
const globalLimits = s.object({ rate: s.optional(rate), quotas: s.optional(s.array(quota, { maxItems: 8 })) });

const weight = s.int({ min: 0, max: 1000 });

export const budgetSchema = s.object({
  store: s.doc(
    s.default(
      s.union(
        s.string({ maxLength: 100 }),
        s.custom((v): v is BudgetStore => isBudgetStore(v), 'must be a BudgetStore'),
        'must name a store, or be a BudgetStore',
      ),
      'memory' as string | BudgetStore,
    ),
    'a store the policy names (memory is always there), or in code a BudgetStore (MemoryStore, RedisStore)',
  ),
  tiers: s.doc(
    s.record(tier, {
      key: /^[a-z0-9][a-z0-9_-]{0,62}$/i,
      keyRule: 'tier names are [A-Za-z0-9_-], up to 63 characters',
      required: ['default'],
      maxEntries: 1000,
    }),
    "limits by tier; a caller's tier comes from its API key (auth.apiKeys[].tier), else default",
  ),
  global: s.doc(s.optional(globalLimits), 'the same limits for all callers together'),
  weights: s.doc(
    s.default(
      s.object({
        label: s.default(weight, 1),
        'top-k': s.default(weight, 2),
        rounded: s.default(weight, 3),
        noised: s.default(weight, 3),
        raw: s.default(weight, 4),
      }),
      { label: 1, 'top-k': 2, rounded: 3, noised: 3, raw: 4 },
    ),
    'cost per row of each disclosure kind',
  ),
  onExhausted: s.doc(
    s.default(s.enumOf(['deny', 'degrade'] as const), 'deny'),
    'when a quota is spent: refuse, or answer labels only while the label-weight budget lasts',
  ),
  onStoreError: s.doc(
    s.default(s.enumOf(['deny', 'allow', 'fallback'] as const), 'deny'),
    'when the store cannot decide: refuse (503), let the call through, or use a local store with limits ÷ replicas',
  ),
  replicas: s.doc(s.default(s.int({ min: 1, max: 10_000 }), 1), "replicas sharing the store: divides the fallback's limits, warns for a per-process store"),
  storeTimeoutMs: s.doc(s.default(s.number({ gt: 0, max: 60_000 }), 250), 'longest wait for one store decision, ms'),
  leaseMs: s.doc(
    s.default(s.int({ min: 100, max: 3_600_000 }), 30_000),
    'how long a concurrency slot is held when its release is lost (a crash, a timed-out store call); longer than the longest call',
  ),
  headers: s.doc(s.default(s.boolean(), true), 'send RateLimit-Policy and RateLimit headers'),
  tightenOnRisk: s.doc(
    s.default(s.boolean(), false),
    "divide a caller's limits by the factor risk-response sets at its tighten level (list risk-response before the budget)",
  ),
});

export type BudgetOptions = Infer<typeof budgetSchema>;
export type TierLimits = Infer<typeof tier>;
export type GlobalLimits = Infer<typeof globalLimits>;
export type BudgetWeights = BudgetOptions['weights'];
