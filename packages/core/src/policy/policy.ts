/**
 * The policy file: everything configurable in code, as JSON or YAML. Validated strictly (unknown
 * keys are errors); every problem names its path, the rule and the value received.
 * Reference: docs/policy.md.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { type BudgetOptions, budget } from '../guards/budget/index.js';
import { type BudgetPolicyOptions, budgetPolicySchema } from '../guards/budget/schema.js';
import { maskOutput } from '../guards/mask-output/index.js';
import { maskOutputSchema } from '../guards/mask-output/schema.js';
import { MemoryStore } from '../stores/memory.js';
import type { BudgetStore } from '../stores/types.js';
import type { AnyGuard, Guard } from '../types.js';
import { type Infer, type Schema, s } from './schema.js';

const guardSpec = s.object({
  /** Name of a registered guard factory, e.g. `mask-output`. */
  use: s.string({ pattern: /^[a-z][a-z0-9-]*$/, rule: 'must be a kebab-case guard name' }),
  /** The factory's options; validated by the factory's own schema. */
  with: s.optional(s.unknown()),
  mode: s.optional(s.enumOf(['enforce', 'monitor'] as const)),
  onError: s.optional(s.enumOf(['deny', 'allow'] as const)),
  timeoutMs: s.optional(s.number({ gt: 0, max: 60_000 })),
});

const storeSpec = {
  parse(value: unknown, path: string, issues: ConfigIssue[]) {
    const type = (value as { type?: unknown } | null)?.type;
    if (type === 'memory') return memoryStoreSpec.parse(value, path, issues);
    if (type === 'redis') return redisStoreSpec.parse(value, path, issues);
    issues.push({ path: `${path}.type`, rule: 'must be "memory" or "redis"', received: JSON.stringify(type) });
    return undefined;
  },
};
const memoryStoreSpec = s.object({ type: s.enumOf(['memory'] as const), maxKeys: s.optional(s.int({ min: 1, max: 100_000_000 })) });
const redisStoreSpec = s.object({
  type: s.enumOf(['redis'] as const),
  /** redis://host:port/db (credentials may come from the environment: ${REDIS_URL} is not expanded). */
  url: s.string({ pattern: /^rediss?:\/\//, rule: 'must be a redis:// or rediss:// URL', maxLength: 2000 }),
  prefix: s.optional(s.string({ pattern: /^[^{}]*$/, rule: 'must not contain { or }', maxLength: 100 })),
});
export type StoreSpec = Infer<typeof memoryStoreSpec> | Infer<typeof redisStoreSpec>;

/** Named stores: `{ <name>: { type: memory | redis, ... } }`. */
const storeMap = {
  parse(value: unknown, path: string, issues: ConfigIssue[]) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ path, rule: 'must be an object of named stores', received: typeof value });
      return undefined;
    }
    const out: Record<string, StoreSpec> = Object.create(null);
    const before = issues.length;
    for (const [name, spec] of Object.entries(value)) {
      if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) issues.push({ path: `${path}.${name}`, rule: 'store names are kebab-case', received: JSON.stringify(name) });
      const parsed = storeSpec.parse(spec, `${path}.${name}`, issues) as StoreSpec | undefined;
      if (parsed !== undefined) out[name] = parsed;
    }
    return issues.length === before ? out : undefined;
  },
};

export const policySchema = s.object({
  version: s.int({ min: 1, max: 1 }),
  mode: s.optional(s.enumOf(['enforce', 'monitor'] as const)),
  model: s.optional(s.object({ name: s.optional(s.string({ maxLength: 200 })), version: s.optional(s.string({ maxLength: 200 })) })),
  auth: s.optional(
    s.object({
      requireApiKey: s.optional(s.boolean()),
      apiKeys: s.optional(
        s.array(
          s.object({
            name: s.string({ maxLength: 200 }),
            sha256: s.string({ pattern: /^[0-9a-f]{64}$/, rule: 'must be the lowercase hex sha256 of the key (bulwark hash-key)' }),
            tier: s.optional(s.string({ maxLength: 100 })),
          }),
          { maxItems: 100_000 },
        ),
      ),
    }),
  ),
  principal: s.optional(s.object({ ipv6Subnet: s.optional(s.int({ min: 1, max: 128 })), trustedProxies: s.optional(s.int({ min: 0, max: 10 })) })),
  limits: s.optional(
    s.object({
      maxBodyBytes: s.optional(s.int({ min: 64, max: 64 * 1024 * 1024 })),
      maxDepth: s.optional(s.int({ min: 2, max: 64 })),
      maxRows: s.optional(s.int({ min: 1, max: 1_000_000 })),
      maxElements: s.optional(s.int({ min: 1, max: 16_777_216 })),
    }),
  ),
  telemetry: s.optional(s.object({ captureContent: s.optional(s.boolean()) })),
  /** Stores for stateful guards, by name; `memory` exists without being declared. */
  stores: s.optional(storeMap),
  guards: s.optional(s.array(guardSpec, { maxItems: 64 })),
});

export type Policy = Infer<typeof policySchema>;
export type GuardSpec = Infer<typeof guardSpec>;

/** What factories get besides their options: the stores the application built. */
export interface GuardFactoryContext {
  readonly stores: Readonly<Record<string, BudgetStore>>;
}

/** A guard factory a policy can name with `use:`. */
export interface GuardFactory {
  readonly schema: Schema<unknown>;
  create(options: never, context: GuardFactoryContext): AnyGuard;
}

/** Guards a policy can name out of the box. */
export const builtinGuards: Readonly<Record<string, GuardFactory>> = Object.freeze({
  'mask-output': { schema: maskOutputSchema, create: maskOutput },
  budget: {
    schema: budgetPolicySchema,
    create(options: BudgetPolicyOptions, context: GuardFactoryContext) {
      const name = options.store ?? 'memory';
      const store = context.stores[name];
      if (store === undefined) {
        throw new ConfigError(
          [{ path: 'store', rule: `must name a store in the policy's stores (${Object.keys(context.stores).join(', ')})`, received: JSON.stringify(name) }],
          'budget',
        );
      }
      return budget({ ...options, store } as BudgetOptions);
    },
  } as GuardFactory,
});

/**
 * Builds the policy's stores. `memory` stores are built here; others (redis) by the factories you
 * pass, e.g. `{ redis: (spec) => new RedisStore({ client: new Redis(spec.url) }) }` (the CLI does).
 * A store named `memory` is always there.
 */
export function storesFromPolicy(
  policy: Policy,
  factories: { readonly redis?: (spec: Extract<StoreSpec, { type: 'redis' }>) => BudgetStore } = {},
): Record<string, BudgetStore> {
  const out: Record<string, BudgetStore> = Object.create(null);
  for (const [name, spec] of Object.entries(policy.stores ?? {})) {
    if (spec.type === 'memory') out[name] = new MemoryStore({ maxKeys: spec.maxKeys });
    else if (factories.redis) out[name] = factories.redis(spec);
    else
      throw new ConfigError([{ path: `stores.${name}.type`, rule: 'redis stores need a redis factory (@bulwark/redis-store)', received: '"redis"' }], 'policy');
  }
  out.memory ??= new MemoryStore();
  return out;
}

/** Validates a parsed policy document. */
export function parsePolicy(doc: unknown, source = 'policy'): Policy {
  const issues: ConfigIssue[] = [];
  const policy = policySchema.parse(doc, '', issues);
  if (issues.length > 0 || policy === undefined) throw new ConfigError(issues, source);
  return policy;
}

/** Reads a `.json`, `.yaml` or `.yml` policy file and validates it. */
export function loadPolicy(path: string): Policy {
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(path) ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      [{ path: '', rule: `must be valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`, received: 'unparsable text' }],
      path,
    );
  }
  return parsePolicy(doc, path);
}

/** Builds the guards a policy lists, from the built-in factories and any you add. */
export function guardsFromPolicy(
  policy: Policy,
  registry: Readonly<Record<string, GuardFactory>> = builtinGuards,
  context: GuardFactoryContext = { stores: { memory: new MemoryStore() } },
): AnyGuard[] {
  const issues: ConfigIssue[] = [];
  const guards: AnyGuard[] = [];
  (policy.guards ?? []).forEach((spec, i) => {
    const factory = Object.hasOwn(registry, spec.use) ? registry[spec.use] : undefined;
    if (factory === undefined) {
      issues.push({ path: `guards[${i}].use`, rule: `must name a known guard (${Object.keys(registry).join(', ')})`, received: JSON.stringify(spec.use) });
      return;
    }
    const opts = factory.schema.parse(spec.with ?? {}, `guards[${i}].with`, issues);
    if (opts === undefined) return;
    try {
      guards.push(configureGuard(factory.create(opts as never, context), spec));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) issues.push({ ...issue, path: `guards[${i}].with.${issue.path}` });
    }
  });
  if (issues.length > 0) throw new ConfigError(issues, 'policy');
  return guards;
}

/**
 * Returns the guard with its mode, failure policy or timeout overridden (the guard is not changed).
 *
 * @example
 * ```ts
 * configureGuard(myGuard, { mode: 'monitor', onError: 'allow', timeoutMs: 50 })
 * ```
 */
export function configureGuard<I, O>(
  guard: Guard<I, O>,
  overrides: { mode?: Guard['mode']; onError?: Guard['onError']; timeoutMs?: number | undefined },
): Guard<I, O> {
  return {
    name: guard.name,
    mode: overrides.mode ?? guard.mode,
    onError: overrides.onError ?? guard.onError,
    timeoutMs: overrides.timeoutMs ?? guard.timeoutMs,
    ...(guard.beforeInference && { beforeInference: guard.beforeInference.bind(guard) }),
    ...(guard.afterInference && { afterInference: guard.afterInference.bind(guard) }),
    ...(guard.settle && { settle: guard.settle.bind(guard) }),
    ...(guard.close && { close: guard.close.bind(guard) }),
  };
}
