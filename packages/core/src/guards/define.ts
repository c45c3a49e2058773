/**
 * `defineGuard`: a guard as a definition (a name for policies, an options schema with defaults and
 * docs, and a factory), so that adding a guard is one folder and one line in guards/index.ts, and
 * user guards load into `bulwark serve` the same way as built-ins.
 *
 * The definition is also the factory to call in code: `maskOutput({ form: 'label' })`. Options
 * every guard has (`name`, `mode`, `onError`, `timeoutMs`) are declared once, here, and applied by
 * the pipeline; a guard's own schema never repeats them.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConfigError, type ConfigIssueInput } from '../errors.js';
import { deepFreeze, joinPath, parseOptions, type Schema, s } from '../policy/schema.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { type Logger, processLogger, scrubbingLogger } from '../runtime/logger.js';
import { cryptoRandom, type RandomSource } from '../runtime/random.js';
import { MemoryStore } from '../stores/memory.js';
import type { AnyGuard, Guard, GuardMode, ModelDescriptor, Prediction } from '../types.js';

/** A store a policy names: it implements the budget contract, the detector contract, or both. */
export type NamedStore = import('../stores/types.js').BudgetStore | import('../stores/detector.js').DetectorStore;

/** What a factory gets besides its options: what it needs to build (and check) itself. */
export interface GuardFactoryContext {
  /** The model the pipeline guards: name, digest, and its shape (features, classes, dtype) when known. */
  readonly model: ModelDescriptor | undefined;
  /** Stores by name (`memory` is always there). Check the contract you need with `isBudgetStore` / `isDetectorStore`. */
  readonly stores: Readonly<Record<string, NamedStore>>;
  /** Where relative file options (a data profile) resolve from: the policy file's directory, else the working directory. */
  readonly baseDir: string;
  readonly logger: Logger;
  /** Randomness for the guard (node:crypto unless a test injects a seeded source). */
  readonly random: RandomSource;
  readonly clock: Clock;
  /**
   * Tiers callers can carry (the `tier` of the policy's API keys), when known: a guard with
   * per-tier settings must define each of them (a silent fall back to `default` is a configuration error).
   */
  readonly tiers: readonly string[] | undefined;
  /**
   * The model's own inference, for guards that must query it again (feature squeezing runs it on
   * squeezed copies of the input). Given by `bulwark serve`; in code, pass it yourself. Calls made
   * through it are not guarded and not counted as the caller's queries.
   */
  readonly infer?: ((rows: number[][]) => Promise<readonly Prediction[]>) | undefined;
}

/** Options every guard accepts, applied by the pipeline. */
export interface CommonGuardOptions {
  /** The guard's name in decisions and telemetry (default: the definition's `use`); unique per pipeline. */
  readonly name?: string | undefined;
  /** `enforce` (default) or `monitor` (record only). */
  readonly mode?: GuardMode | undefined;
  /** A throw or timeout: `deny` (fail closed, default) or `allow` (fail open, recorded). */
  readonly onError?: 'deny' | 'allow' | undefined;
  /** Time limit of an asynchronous hook, ms (default: the pipeline's). */
  readonly timeoutMs?: number | undefined;
}

export const commonGuardSchema = {
  name: s.optional(s.string({ pattern: /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, rule: 'must be a kebab-case name', maxLength: 64 })),
  mode: s.optional(s.enumOf(['enforce', 'monitor'] as const)),
  onError: s.optional(s.enumOf(['deny', 'allow'] as const)),
  timeoutMs: s.optional(s.number({ gt: 0, max: 60_000 })),
};
const COMMON_KEYS = Object.keys(commonGuardSchema);
const commonSchema = s.object(commonGuardSchema);

/** A schema of the project's validator, or of any Standard Schema library (zod, valibot, arktype). */
export type OptionsSchema<T, In> = Schema<T, In> | StandardSchemaV1<In, T>;

const DEFINITION = Symbol.for('bulwark.guard-definition');

export interface GuardDefinition<T = unknown, In = unknown> {
  /** The name a policy uses (`use: mask-output`); kebab-case. */
  readonly use: string;
  /** One line for `GET /v1/model`-style listings and docs. */
  readonly description?: string | undefined;
  /** The guard's own options (without the common ones); defaults and docs live here. */
  readonly schema: OptionsSchema<T, In>;
  /** Builds the guard from complete, frozen options. Throw a ConfigError for what the schema cannot check. */
  create(options: T, context: GuardFactoryContext): AnyGuard;
  /** Validates the guard's own options (as in a policy's `with:`), pushing issues; the complete options, or undefined. */
  parse(options: unknown, path: string, issues: ConfigIssueInput[]): T | undefined;
  readonly [DEFINITION]: true;
}

/** A definition, callable as a factory in code. */
export type GuardFactory<T = unknown, In = unknown> = GuardDefinition<T, In> &
  ((options: In & CommonGuardOptions, context?: Partial<GuardFactoryContext>) => AnyGuard);

export function isGuardDefinition(v: unknown): v is GuardDefinition {
  return (typeof v === 'function' || (typeof v === 'object' && v !== null)) && (v as Record<symbol, unknown>)[DEFINITION] === true;
}

/** A Standard Schema as the project's validator, so both are handled alike. */
export function fromStandardSchema<T, In>(schema: StandardSchemaV1<In, T>): Schema<T, In> {
  return {
    parse(value, path, issues) {
      const result = schema['~standard'].validate(value);
      if (result instanceof Promise) {
        issues.push({
          code: 'invalid_guard',
          path,
          rule: 'the options schema validates asynchronously; guards are built synchronously',
          received: 'a promise',
        });
        return undefined;
      }
      if (result.issues === undefined) return result.value;
      for (const issue of result.issues) {
        let at = path;
        for (const seg of issue.path ?? []) {
          const key = typeof seg === 'object' && seg !== null ? seg.key : seg;
          at = joinPath(at, typeof key === 'number' ? key : String(key));
        }
        issues.push({ code: 'invalid_value', path: at, rule: issue.message, received: 'see rule' });
      }
      return undefined;
    },
  };
}

export function toSchema<T, In>(schema: OptionsSchema<T, In>): Schema<T, In> {
  if (typeof schema === 'object' && schema !== null && '~standard' in schema) return fromStandardSchema(schema);
  return schema as Schema<T, In>;
}

/** The context for a guard built in code without one: a fresh memory store, the system defaults. */
export function defaultFactoryContext(partial: Partial<GuardFactoryContext> = {}): GuardFactoryContext {
  return {
    model: partial.model,
    stores: partial.stores ?? { memory: new MemoryStore() },
    baseDir: partial.baseDir ?? process.cwd(),
    logger: partial.logger === undefined ? processLogger : scrubbingLogger(partial.logger),
    random: partial.random ?? cryptoRandom,
    clock: partial.clock ?? systemClock,
    tiers: partial.tiers,
    infer: partial.infer,
  };
}

/** Splits the common options from the guard's own. */
function split(options: unknown): { own: unknown; common: Record<string, unknown> } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return { own: options, common: {} };
  const own: Record<string, unknown> = {};
  const common: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) (COMMON_KEYS.includes(k) ? common : own)[k] = v;
  return { own, common };
}

/**
 * Defines a guard.
 *
 * @example
 * ```ts
 * export const featureRange = defineGuard({
 *   use: 'feature-range',
 *   schema: s.object({ ranges: s.array(s.array(s.number())), tolerance: s.default(s.number({ min: 0 }), 0.1) }),
 *   create(o, context) {
 *     return { name: 'feature-range', beforeInference(ctx) { ... } }
 *   },
 * })
 * // in code:      featureRange({ ranges, mode: 'monitor' })
 * // in a policy:  - use: feature-range   (with plugins: ["./feature-range.mjs"])
 * ```
 */
export function defineGuard<T, In>(definition: {
  readonly use: string;
  readonly description?: string;
  readonly schema: OptionsSchema<T, In>;
  readonly create: (options: T, context: GuardFactoryContext) => AnyGuard;
}): GuardFactory<T, In> {
  if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(definition.use)) {
    throw new ConfigError([{ code: 'invalid_guard', path: 'use', rule: 'must be a kebab-case name', received: JSON.stringify(definition.use) }], 'defineGuard');
  }
  const schema = toSchema(definition.schema);
  const factory = (options: In & CommonGuardOptions, context?: Partial<GuardFactoryContext>): AnyGuard => {
    const { own, common } = split(options ?? {});
    const c = parseOptions(commonSchema, common, `${definition.use} options`);
    const parsed = deepFreeze(parseOptions(schema, own, `${definition.use} options`));
    const guard = definition.create(parsed, defaultFactoryContext(context));
    return c.name === undefined && c.mode === undefined && c.onError === undefined && c.timeoutMs === undefined ? guard : configureGuard(guard, c);
  };
  return Object.defineProperties(factory, {
    use: { value: definition.use, enumerable: true },
    description: { value: definition.description, enumerable: true },
    schema: { value: definition.schema, enumerable: true },
    create: { value: definition.create },
    parse: { value: (options: unknown, path: string, issues: ConfigIssueInput[]) => schema.parse(options, path, issues) },
    [DEFINITION]: { value: true },
    name: { value: definition.use },
  }) as GuardFactory<T, In>;
}

/**
 * Returns the guard with its name, mode, failure policy or timeout overridden (the guard is not
 * changed).
 *
 * @example
 * ```ts
 * configureGuard(myGuard, { mode: 'monitor', onError: 'allow', timeoutMs: 50 })
 * ```
 */
export function configureGuard<I, O>(guard: Guard<I, O>, overrides: CommonGuardOptions): Guard<I, O> {
  return {
    name: overrides.name ?? guard.name,
    mode: overrides.mode ?? guard.mode,
    onError: overrides.onError ?? guard.onError,
    timeoutMs: overrides.timeoutMs ?? guard.timeoutMs,
    maxDisclosure: guard.maxDisclosure,
    signals: guard.signals,
    ...(guard.beforeInference && { beforeInference: guard.beforeInference.bind(guard) }),
    ...(guard.afterInference && { afterInference: guard.afterInference.bind(guard) }),
    ...(guard.settle && { settle: guard.settle.bind(guard) }),
    ...(guard.close && { close: guard.close.bind(guard) }),
  };
}
