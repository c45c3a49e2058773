/**
 * A small validator for options and policy files. Every problem is reported with a code, the path,
 * the rule and the value received, and unknown keys are errors (a typo in a security policy must
 * not silently weaken it). Defaults live in the schema (`s.default`), so a parse returns one
 * complete config. Kept dependency-free and tiny on purpose; it runs once, at construction.
 * Guards written by users may use any Standard Schema library instead (zod, valibot): see
 * `fromStandardSchema`.
 */
import { ConfigError, type ConfigIssueInput } from '../errors.js';

export interface Schema<T, In = T> {
  /** Returns the parsed value, or pushes issues and returns undefined. */
  parse(value: unknown, path: string, issues: ConfigIssueInput[]): T | undefined;
  /** True for schemas made by `s.optional` and `s.default`: the key may be absent. */
  readonly optional?: boolean;
  /** True for schemas made by `s.default`: absent in the input, present in the output. */
  readonly hasDefault?: boolean;
  /** The default, for documentation. */
  readonly defaultValue?: unknown;
  /** One line of documentation (`s.doc`). */
  readonly doc?: string;
  /** The keys of an object schema, for documentation and introspection. */
  readonly shape?: Readonly<Record<string, Schema<unknown, unknown>>>;
  /** Type-level only: what the schema accepts. */
  readonly __input?: In;
}

/** The parsed (output) type of a schema. */
export type Infer<S> = S extends Schema<infer T, infer _I> ? T : never;
/** What a schema accepts (keys with defaults are optional). */
export type Input<S> = S extends Schema<infer _T, infer I> ? I : never;

// biome-ignore lint/suspicious/noExplicitAny: shapes mix schemas of any type.
type Shape = Record<string, Schema<any, any>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** Optional in the output: absent-able and without a default. */
type OptionalOut<X> = X extends { hasDefault: true } ? false : X extends { optional: true } ? true : false;
type OutputOf<S extends Shape> = Simplify<
  { -readonly [K in keyof S as OptionalOut<S[K]> extends true ? never : K]: Infer<S[K]> } & {
    -readonly [K in keyof S as OptionalOut<S[K]> extends true ? K : never]?: Infer<S[K]>;
  }
>;
type InputOf<S extends Shape> = Simplify<
  { -readonly [K in keyof S as S[K] extends { optional: true } ? never : K]: Input<S[K]> } & {
    -readonly [K in keyof S as S[K] extends { optional: true } ? K : never]?: Input<S[K]>;
  }
>;

/** Renders a received value for a message: short, and never the whole of a large value. */
export function received(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  const str = JSON.stringify(value) ?? String(value);
  return str.length > 60 ? `${str.slice(0, 57)}…"` : str;
}

export const joinPath = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`);

function fail(issues: ConfigIssueInput[], path: string, rule: string, value: unknown, code: ConfigIssueInput['code'] = 'invalid_value'): undefined {
  issues.push({ code, path, rule, received: received(value) });
  return undefined;
}

export const s = {
  object<S extends Shape>(shape: S): Schema<OutputOf<S>, InputOf<S>> & { readonly shape: S } {
    return {
      shape,
      parse(value, path, issues) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(issues, path, 'must be an object', value);
        const out: Record<string, unknown> = {};
        const before = issues.length;
        for (const key of Object.keys(value)) {
          if (!Object.hasOwn(shape, key)) {
            fail(
              issues,
              joinPath(path, key),
              `is not a known key (known: ${Object.keys(shape).join(', ')})`,
              (value as Record<string, unknown>)[key],
              'unknown_key',
            );
          }
        }
        for (const [key, schema] of Object.entries(shape)) {
          const v = (value as Record<string, unknown>)[key];
          if (v === undefined) {
            if (schema.hasDefault) out[key] = schema.defaultValue;
            else if (!schema.optional) fail(issues, joinPath(path, key), 'is required', v, 'missing_key');
            continue;
          }
          const parsed = schema.parse(v, joinPath(path, key), issues);
          if (parsed !== undefined) out[key] = parsed;
        }
        return issues.length === before ? (out as OutputOf<S>) : undefined;
      },
    };
  },
  optional<T, In>(schema: Schema<T, In>): Schema<T | undefined, In | undefined> & { optional: true } {
    return { optional: true, doc: schema.doc, shape: schema.shape, parse: (v, p, i) => (v === undefined ? undefined : schema.parse(v, p, i)) };
  },
  /** Optional in the input; `value` in the output when absent. */
  default<T, In>(schema: Schema<T, In>, value: T): Schema<T, In | undefined> & { optional: true; hasDefault: true } {
    return {
      optional: true,
      hasDefault: true,
      defaultValue: value,
      doc: schema.doc,
      shape: schema.shape,
      parse: (v, p, i) => (v === undefined ? value : schema.parse(v, p, i)),
    };
  },
  /** Attaches one line of documentation. */
  doc<S extends Schema<unknown, unknown>>(schema: S, text: string): S {
    return { ...schema, doc: text, parse: schema.parse };
  },
  int(o: { min?: number; max?: number } = {}): Schema<number> {
    return {
      parse(v, path, issues) {
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fail(issues, path, 'must be an integer', v);
        if (o.min !== undefined && v < o.min) return fail(issues, path, `must be an integer >= ${o.min}`, v);
        if (o.max !== undefined && v > o.max) return fail(issues, path, `must be an integer <= ${o.max}`, v);
        return v;
      },
    };
  },
  number(o: { min?: number; max?: number; gt?: number } = {}): Schema<number> {
    return {
      parse(v, path, issues) {
        if (typeof v !== 'number' || !Number.isFinite(v)) return fail(issues, path, 'must be a finite number', v);
        if (o.gt !== undefined && !(v > o.gt)) return fail(issues, path, `must be > ${o.gt}`, v);
        if (o.min !== undefined && v < o.min) return fail(issues, path, `must be >= ${o.min}`, v);
        if (o.max !== undefined && v > o.max) return fail(issues, path, `must be <= ${o.max}`, v);
        return v;
      },
    };
  },
  string(o: { pattern?: RegExp; rule?: string; maxLength?: number } = {}): Schema<string> {
    return {
      parse(v, path, issues) {
        if (typeof v !== 'string' || v === '') return fail(issues, path, 'must be a non-empty string', v);
        if (o.maxLength !== undefined && v.length > o.maxLength) return fail(issues, path, `must be at most ${o.maxLength} characters`, v);
        if (o.pattern !== undefined && !o.pattern.test(v)) return fail(issues, path, o.rule ?? `must match ${o.pattern}`, v);
        return v;
      },
    };
  },
  boolean(): Schema<boolean> {
    return { parse: (v, path, issues) => (typeof v === 'boolean' ? v : fail(issues, path, 'must be true or false', v)) };
  },
  enumOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
    return {
      parse: (v, path, issues) =>
        typeof v === 'string' && values.includes(v) ? (v as T[number]) : fail(issues, path, `must be one of ${values.map((x) => `"${x}"`).join(', ')}`, v),
    };
  },
  array<T, In>(item: Schema<T, In>, o: { maxItems?: number; minItems?: number } = {}): Schema<T[], In[]> {
    return {
      parse(v, path, issues) {
        if (!Array.isArray(v)) return fail(issues, path, 'must be an array', v);
        if (o.maxItems !== undefined && v.length > o.maxItems) return fail(issues, path, `must have at most ${o.maxItems} items`, v);
        if (o.minItems !== undefined && v.length < o.minItems) return fail(issues, path, `must have at least ${o.minItems} items`, v);
        const before = issues.length;
        const out = v.map((x, i) => item.parse(x, joinPath(path, i), issues));
        return issues.length === before ? (out as T[]) : undefined;
      },
    };
  },
  /**
   * An object of named entries, all of one schema (e.g. tiers, stores). Names must match `key`;
   * names in `required` must be present. The result has a null prototype: names are user input.
   */
  record<T, In>(
    value: Schema<T, In>,
    o: { key: RegExp; keyRule: string; required?: readonly string[]; maxEntries?: number },
  ): Schema<Record<string, T>, Record<string, In>> {
    return {
      parse(v, path, issues) {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(issues, path, 'must be an object', v);
        const out: Record<string, T> = Object.create(null);
        const before = issues.length;
        const names = Object.keys(v);
        if (o.maxEntries !== undefined && names.length > o.maxEntries) return fail(issues, path, `must have at most ${o.maxEntries} entries`, v);
        for (const name of o.required ?? []) if (!Object.hasOwn(v, name)) fail(issues, joinPath(path, name), 'is required', undefined, 'missing_key');
        for (const name of names) {
          if (!o.key.test(name)) fail(issues, joinPath(path, name), o.keyRule, name);
          const parsed = value.parse((v as Record<string, unknown>)[name], joinPath(path, name), issues);
          if (parsed !== undefined) out[name] = parsed;
        }
        return issues.length === before ? out : undefined;
      },
    };
  },
  /** A value checked by a predicate (e.g. an object implementing a contract). */
  custom<T>(check: (v: unknown) => v is T, rule: string): Schema<T> {
    return { parse: (v, path, issues) => (check(v) ? v : fail(issues, path, rule, v)) };
  },
  /** The first of several schemas that accepts the value; the issues of the last one otherwise. */
  union<A, AI, B, BI>(a: Schema<A, AI>, b: Schema<B, BI>, rule: string): Schema<A | B, AI | BI> {
    return {
      parse(v, path, issues) {
        const tried: ConfigIssueInput[] = [];
        const x = a.parse(v, path, tried);
        if (tried.length === 0) return x;
        const second: ConfigIssueInput[] = [];
        const y = b.parse(v, path, second);
        if (second.length === 0) return y;
        return fail(issues, path, rule, v);
      },
    };
  },
  /** Any value, checked later by a schema chosen from a sibling (e.g. a guard's `with` by its `use`). */
  unknown(): Schema<unknown> {
    return { parse: (v) => v };
  },
};

/** Freezes a parsed config all the way down (parsed configs are plain data). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    // Objects that implement a contract (a store, a client) are passed through, not frozen.
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) return value;
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validates `value` against `schema`, throwing one ConfigError that lists every problem; the result is frozen. */
export function parseOptions<T>(schema: Schema<T, unknown>, value: unknown, subject: string, path = ''): T {
  const issues: ConfigIssueInput[] = [];
  const out = schema.parse(value, path, issues);
  if (issues.length > 0 || out === undefined) throw new ConfigError(issues, subject);
  return deepFreeze(out);
}
