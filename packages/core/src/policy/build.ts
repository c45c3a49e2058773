/**
 * From a validated policy to running parts: its stores, then its guards. `bulwark serve` builds
 * the guards after loading the model, so a guard can check its options against the model's shape.
 */
import { ConfigError, type ConfigIssueInput, isConfigError, prefixIssues } from '../errors.js';
import { configureGuard, defaultFactoryContext, type GuardFactoryContext, type NamedStore, toSchema } from '../guards/define.js';
import { MemoryStore } from '../stores/memory.js';
import type { AnyGuard } from '../types.js';
import type { Policy, StoreSpec } from './policy.js';
import { deepFreeze, parseOptions } from './schema.js';

/** Builders of stores a policy can name besides `memory` (e.g. `redis` from @bulwark/redis-store). */
export interface StoreFactories {
  readonly redis?: ((spec: Extract<StoreSpec, { type: 'redis' }>) => NamedStore) | undefined;
}

/**
 * Builds the policy's stores. `memory` stores are built here; others (redis) by the factories you
 * pass, e.g. `{ redis: (spec) => new RedisStore({ client: new Redis(spec.url) }) }` (the CLI does).
 * A store named `memory` is always there.
 */
export function storesFromPolicy(policy: Policy, factories: StoreFactories = {}): Record<string, NamedStore> {
  const out: Record<string, NamedStore> = Object.create(null);
  const issues: ConfigIssueInput[] = [];
  for (const [name, spec] of Object.entries(policy.stores ?? {})) {
    if (spec.type === 'memory')
      out[name] = new MemoryStore({
        maxKeys: spec.maxKeys,
        overflowKeys: spec.overflowKeys,
        maxDetectorKeys: spec.maxDetectorKeys,
        maxDetectorBytes: spec.maxDetectorBytes,
      });
    else if (factories.redis) out[name] = factories.redis(spec);
    else
      issues.push({
        code: 'unknown_store',
        path: `stores.${name}.type`,
        rule: 'redis stores need a redis factory (@bulwark/redis-store)',
        received: '"redis"',
      });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'policy');
  out.memory ??= new MemoryStore();
  return out;
}

/**
 * Builds the guards a policy lists. Each guard gets the factory context (the model, the stores,
 * the policy's directory, the tiers its API keys carry, logger, randomness, clock); problems of
 * every guard are reported at once, under `guards[i].with`.
 *
 * @throws {ConfigError} e.g. an unknown store, a tier the budget does not define, options that do not fit the model.
 */
export function guardsFromPolicy(policy: Policy, context: Partial<GuardFactoryContext> = {}): AnyGuard[] {
  const tiers = [...new Set((policy.auth?.apiKeys ?? []).map((k) => k.tier).filter((t): t is string => t !== undefined))];
  const ctx = defaultFactoryContext({ baseDir: policy.baseDir, tiers, ...context });
  const issues: ConfigIssueInput[] = [];
  const guards: AnyGuard[] = [];
  (policy.guards ?? []).forEach((spec, i) => {
    const d = spec.definition;
    try {
      // Parsed again (cheap, once): the policy holds the options as written, the factory wants them complete.
      const options = deepFreeze(parseOptions(toSchema(d.schema), spec.with ?? {}, `guards[${i}].with`));
      const guard = d.create(options, ctx);
      guards.push(
        spec.name === undefined && spec.mode === undefined && spec.onError === undefined && spec.timeoutMs === undefined
          ? guard
          : configureGuard(guard, { name: spec.name, mode: spec.mode, onError: spec.onError, timeoutMs: spec.timeoutMs }),
      );
    } catch (err) {
      if (!isConfigError(err)) throw err;
      issues.push(...prefixIssues(err, `guards[${i}].with`));
    }
  });
  if (issues.length > 0) throw new ConfigError(issues, 'policy');
  return guards;
}
