/**
 * The policy file: everything configurable in code, as JSON or YAML. Validated strictly and all at
 * once: unknown keys, duplicate keys and every guard's options are checked in one pass, and every
 * problem is reported with its code, path, rule and the value received, under the file's name.
 * Reference: docs/policy.md.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssueInput } from '../errors.js';
import type { GuardDefinition } from '../guards/define.js';
import { builtinGuards } from '../guards/index.js';
import { parseRange } from '../principal/ip.js';
import { PERIODS } from '../util/periods.js';
import { parseStrictJson } from './json.js';
import { loadPlugins } from './plugins.js';
import { deepFreeze, type Infer, joinPath, received, s } from './schema.js';

const memoryStoreSpec = s.object({
  type: s.enumOf(['memory'] as const),
  maxKeys: s.optional(s.int({ min: 1, max: 100_000_000 })),
  overflowKeys: s.optional(s.int({ min: 1, max: 100_000_000 })),
  maxDetectorKeys: s.optional(s.int({ min: 1, max: 100_000_000 })),
  maxDetectorBytes: s.optional(s.int({ min: 1024, max: 2 ** 40 })),
});
const redisStoreSpec = s.object({
  type: s.enumOf(['redis'] as const),
  /** redis://host:port/db (credentials may come from the environment: ${REDIS_URL} is not expanded). */
  url: s.string({ pattern: /^rediss?:\/\//, rule: 'must be a redis:// or rediss:// URL', maxLength: 2000 }),
  prefix: s.optional(s.string({ pattern: /^[^{}]*$/, rule: 'must not contain { or }', maxLength: 100 })),
});
export type StoreSpec = Infer<typeof memoryStoreSpec> | Infer<typeof redisStoreSpec>;

const storeSpec = {
  parse(value: unknown, path: string, issues: ConfigIssueInput[]): StoreSpec | undefined {
    const type = (value as { type?: unknown } | null)?.type;
    if (type === 'memory') return memoryStoreSpec.parse(value, path, issues);
    if (type === 'redis') return redisStoreSpec.parse(value, path, issues);
    issues.push({ path: joinPath(path, 'type'), rule: 'must be "memory" or "redis"', received: received(type) });
    return undefined;
  },
};

/** One entry of `guards:`: which guard, its options, and the options every guard has. */
const guardSpecSchema = s.object({
  /** Name of a registered guard definition, e.g. `mask-output`. */
  use: s.string({ pattern: /^[a-z][a-z0-9-]*$/, rule: 'must be a kebab-case guard name', maxLength: 64 }),
  /** The guard's options; validated by its own schema. */
  with: s.optional(s.unknown()),
  name: s.optional(s.string({ pattern: /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, rule: 'must be a kebab-case name', maxLength: 64 })),
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
            tier: s.optional(s.string({ pattern: /^[a-z0-9][a-z0-9_-]{0,62}$/i, rule: 'tier names are [A-Za-z0-9_-], up to 63 characters' })),
          }),
          { maxItems: 100_000 },
        ),
      ),
    }),
  ),
  principal: s.optional(
    s.object({
      ipv6Subnet: s.optional(s.int({ min: 1, max: 128 })),
      /** A count of proxies in front, or (safer) the address ranges of the proxies. */
      trustedProxies: s.optional(
        s.union(
          s.int({ min: 0, max: 10 }),
          s.array(
            s.custom((v): v is string => typeof v === 'string' && parseRange(v) !== undefined, 'must be an address range such as 10.0.0.0/8'),
            {
              minItems: 1,
              maxItems: 100,
            },
          ),
          'must be a count of proxies (0-10) or a list of their address ranges (CIDR)',
        ),
      ),
    }),
  ),
  limits: s.optional(
    s.object({
      maxBodyBytes: s.optional(s.int({ min: 64, max: 64 * 1024 * 1024 })),
      maxDepth: s.optional(s.int({ min: 2, max: 64 })),
      maxRows: s.optional(s.int({ min: 1, max: 1_000_000 })),
      maxElements: s.optional(s.int({ min: 1, max: 16_777_216 })),
      /** Requests refused before the guards, per caller, before its requests are refused unread. */
      refusedRequests: s.optional(s.object({ limit: s.int({ min: 1, max: 1_000_000 }), per: s.enumOf(PERIODS) })),
    }),
  ),
  telemetry: s.optional(s.object({ captureContent: s.optional(s.boolean()) })),
  /** Stores for stateful guards, by name; `memory` exists without being declared. */
  stores: s.optional(s.record(storeSpec, { key: /^[a-z][a-z0-9-]{0,62}$/, keyRule: 'store names are kebab-case', maxEntries: 32 })),
  /** Modules of guard definitions, relative to the policy file (see docs/policy.md, "Plugins"). */
  plugins: s.optional(
    s.array(
      s.string({ pattern: /^(\.{1,2}\/|\/)[^\0]*$/, rule: 'must be a path starting with ./, ../ or / (resolved against the policy file)', maxLength: 1000 }),
      {
        maxItems: 32,
      },
    ),
  ),
  guards: s.optional(s.array(guardSpecSchema, { maxItems: 64 })),
});

type PolicyDoc = Infer<typeof policySchema>;

/** A guard entry of a validated policy: its definition resolved, its options complete. */
export type GuardSpec = Infer<typeof guardSpecSchema> & { readonly definition: GuardDefinition };

/** A validated policy. Guard entries carry their definitions; `baseDir` is where relative paths resolve. */
export type Policy = Omit<PolicyDoc, 'guards'> & { readonly guards?: readonly GuardSpec[]; readonly baseDir?: string };

export interface ParsePolicyOptions {
  /** The file name (or another label) in error messages. */
  readonly source?: string;
  /** Guard definitions besides the built-ins (e.g. your own, or those of plugins). */
  readonly guards?: readonly GuardDefinition[];
  /** Where the policy's relative paths resolve (default: the working directory). */
  readonly baseDir?: string;
}

/**
 * Validates a parsed policy document: the top level and every guard's options, all problems at
 * once. Plugins need a base directory and an import: use `resolvePolicy` or `loadPolicy` for them.
 *
 * @throws {ConfigError} listing every problem.
 */
export function parsePolicy(doc: unknown, options: ParsePolicyOptions | string = {}): Policy {
  return parse(doc, typeof options === 'string' ? { source: options } : options, false);
}

function parse(doc: unknown, o: ParsePolicyOptions, pluginsLoaded: boolean): Policy {
  const source = o.source ?? 'policy';
  const issues: ConfigIssueInput[] = [];
  const policy = policySchema.parse(doc, '', issues);
  if (policy?.plugins !== undefined && policy.plugins.length > 0 && !pluginsLoaded) {
    issues.push({
      code: 'invalid_plugin',
      path: 'plugins',
      rule: 'plugins are loaded by loadPolicy / resolvePolicy (bulwark serve does)',
      received: `${policy.plugins.length} plugins`,
    });
  }
  const registry = registryOf(o.guards ?? [], issues);
  const guards: GuardSpec[] = [];
  // Guard entries are checked even when the top level has problems: every problem at once.
  const rawGuards = (doc as { guards?: unknown } | null)?.guards;
  if (Array.isArray(rawGuards)) {
    rawGuards.forEach((raw, i) => {
      const path = `guards[${i}]`;
      const spec = guardSpecSchema.parse(raw, path, []);
      const use = (raw as { use?: unknown } | null)?.use;
      if (spec === undefined || typeof use !== 'string') return; // reported by the schema above
      const definition = registry.get(use);
      if (definition === undefined) {
        issues.push({
          code: 'unknown_guard',
          path: `${path}.use`,
          rule: `must name a known guard (${[...registry.keys()].join(', ')})`,
          received: received(use),
        });
        return;
      }
      definition.parse(spec.with ?? {}, `${path}.with`, issues);
      guards.push({ ...spec, definition });
    });
  }
  const names = new Map<string, number>();
  guards.forEach((g, i) => {
    const name = g.name ?? g.use;
    const first = names.get(name);
    if (first !== undefined)
      issues.push({
        code: 'conflict',
        path: `guards[${i}].name`,
        rule: `two guards named "${name}" (guards[${first}]): give one a name`,
        received: received(name),
      });
    else names.set(name, i);
  });
  if (issues.length > 0 || policy === undefined) throw new ConfigError(issues, source);
  return deepFreeze({ ...policy, guards, baseDir: o.baseDir ?? process.cwd() });
}

function registryOf(extra: readonly GuardDefinition[], issues: ConfigIssueInput[]): Map<string, GuardDefinition> {
  const map = new Map<string, GuardDefinition>();
  for (const d of builtinGuards) map.set(d.use, d);
  for (const d of extra) {
    if (map.has(d.use) && map.get(d.use) !== d) {
      issues.push({ code: 'invalid_plugin', path: 'plugins', rule: `defines a guard "${d.use}" that already exists`, received: received(d.use) });
      continue;
    }
    map.set(d.use, d);
  }
  return map;
}

/**
 * Validates a parsed policy document, loading its plugins (relative to `baseDir`) first.
 *
 * @throws {ConfigError} listing every problem.
 */
export async function resolvePolicy(doc: unknown, options: ParsePolicyOptions = {}): Promise<Policy> {
  const baseDir = options.baseDir ?? process.cwd();
  const source = options.source ?? 'policy';
  const paths = (doc as { plugins?: unknown } | null)?.plugins;
  const plugins = Array.isArray(paths) && paths.every((p) => typeof p === 'string') ? await loadPlugins(paths, baseDir, source) : [];
  return parse(doc, { source, baseDir, guards: [...(options.guards ?? []), ...plugins] }, true);
}

/** Policy files larger than this are refused (a policy is configuration, not data). */
const MAX_POLICY_BYTES = 16 * 1024 * 1024;

/**
 * Reads a `.json`, `.yaml` or `.yml` policy file, loads its plugins and validates it all.
 *
 * @throws {ConfigError} naming the file and every problem (including a missing or unreadable file).
 */
export async function loadPolicy(path: string, options: Omit<ParsePolicyOptions, 'source' | 'baseDir'> = {}): Promise<Policy> {
  const text = readPolicyText(path);
  const yaml = /\.ya?ml$/i.test(path);
  let doc: unknown;
  if (yaml) {
    try {
      // The yaml package refuses duplicate keys (uniqueKeys) and bounds alias expansion.
      doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
    } catch (err) {
      const dup = /Map keys must be unique/.test(String((err as Error).message));
      throw new ConfigError(
        [
          {
            code: dup ? 'duplicate_key' : 'unreadable',
            path: '',
            rule: `must be valid YAML: ${(err as Error).message.split('\n')[0]}`,
            received: 'unparsable text',
          },
        ],
        path,
      );
    }
  } else doc = parseStrictJson(text, path);
  return resolvePolicy(doc, { ...options, source: path, baseDir: dirname(resolve(path)) });
}

function readPolicyText(path: string): string {
  const fail = (rule: string, got: string) => new ConfigError([{ code: 'unreadable', path: '', rule, received: got }], path);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw fail(code === 'ENOENT' ? 'file does not exist' : 'file cannot be read', code ?? 'error');
  }
  // /dev/zero or a FIFO would be read without bound.
  if (!stat.isFile()) throw fail('must be a regular file', 'not a regular file');
  if (stat.size > MAX_POLICY_BYTES) throw fail(`must be at most ${MAX_POLICY_BYTES} bytes`, `${stat.size} bytes`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw fail('file cannot be read', (err as { code?: string }).code ?? 'error');
  }
}
