/**
 * The policy file: everything configurable in code, as JSON or YAML. Validated strictly (unknown
 * keys are errors); every problem names its path, the rule and the value received.
 * Reference: docs/policy.md.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { maskOutput } from '../guards/mask-output/index.js';
import { maskOutputSchema } from '../guards/mask-output/schema.js';
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
  guards: s.optional(s.array(guardSpec, { maxItems: 64 })),
});

export type Policy = Infer<typeof policySchema>;
export type GuardSpec = Infer<typeof guardSpec>;

/** A guard factory a policy can name with `use:`. */
export interface GuardFactory {
  readonly schema: Schema<unknown>;
  create(options: never): AnyGuard;
}

/** Guards a policy can name out of the box. */
export const builtinGuards: Readonly<Record<string, GuardFactory>> = Object.freeze({
  'mask-output': { schema: maskOutputSchema, create: maskOutput },
});

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
export function guardsFromPolicy(policy: Policy, registry: Readonly<Record<string, GuardFactory>> = builtinGuards): AnyGuard[] {
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
    guards.push(configureGuard(factory.create(opts as never), spec));
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
    ...(guard.close && { close: guard.close.bind(guard) }),
  };
}
