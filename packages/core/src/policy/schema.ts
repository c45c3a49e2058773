/**
 * A small validator for options and policy files. Every problem is reported with the path, the
 * rule and the value received, and unknown keys are errors (a typo in a security policy must not
 * silently weaken it). Kept dependency-free and tiny on purpose; it runs once, at construction.
 */
import { ConfigError, type ConfigIssue } from '../errors.js';

export interface Schema<T> {
  /** Returns the parsed value, or pushes issues and returns undefined. */
  parse(value: unknown, path: string, issues: ConfigIssue[]): T | undefined;
  /** True for schemas made by `s.optional`. */
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Record<string, Schema<unknown>>;
type ObjectOf<S extends Shape> = { -readonly [K in keyof S as S[K] extends { optional: true } ? never : K]: Infer<S[K]> } & {
  -readonly [K in keyof S as S[K] extends { optional: true } ? K : never]?: Infer<S[K]>;
};

/** Renders a received value for a message: short, and never the whole of a large value. */
export function received(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const str = JSON.stringify(value) ?? String(value);
  return str.length > 60 ? `${str.slice(0, 57)}…"` : str;
}

const join = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`);

function fail(issues: ConfigIssue[], path: string, rule: string, value: unknown): undefined {
  issues.push({ path, rule, received: received(value) });
  return undefined;
}

export const s = {
  object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
    return {
      parse(value, path, issues) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(issues, path, 'must be an object', value);
        const out: Record<string, unknown> = {};
        const before = issues.length;
        for (const key of Object.keys(value)) {
          if (!Object.hasOwn(shape, key)) {
            fail(issues, join(path, key), `is not a known key (known: ${Object.keys(shape).join(', ')})`, (value as Record<string, unknown>)[key]);
          }
        }
        for (const [key, schema] of Object.entries(shape)) {
          const v = (value as Record<string, unknown>)[key];
          if (v === undefined) {
            if (!schema.optional) fail(issues, join(path, key), 'is required', v);
            continue;
          }
          const parsed = schema.parse(v, join(path, key), issues);
          if (parsed !== undefined) out[key] = parsed;
        }
        return issues.length === before ? (out as ObjectOf<S>) : undefined;
      },
    };
  },
  optional<T>(schema: Schema<T>): Schema<T | undefined> & { optional: true } {
    return { optional: true, parse: (v, p, i) => (v === undefined ? undefined : schema.parse(v, p, i)) };
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
  array<T>(item: Schema<T>, o: { maxItems?: number } = {}): Schema<T[]> {
    return {
      parse(v, path, issues) {
        if (!Array.isArray(v)) return fail(issues, path, 'must be an array', v);
        if (o.maxItems !== undefined && v.length > o.maxItems) return fail(issues, path, `must have at most ${o.maxItems} items`, v);
        const before = issues.length;
        const out = v.map((x, i) => item.parse(x, join(path, i), issues));
        return issues.length === before ? (out as T[]) : undefined;
      },
    };
  },
  /** Any value, checked later by a schema chosen from a sibling (e.g. a guard's `with` by its `use`). */
  unknown(): Schema<unknown> {
    return { parse: (v) => v };
  },
};

/** Validates `value` against `schema`, throwing one ConfigError that lists every problem. */
export function parseOptions<T>(schema: Schema<T>, value: unknown, subject: string, path = ''): T {
  const issues: ConfigIssue[] = [];
  const out = schema.parse(value, path, issues);
  if (issues.length > 0 || out === undefined) throw new ConfigError(issues, subject);
  return out;
}
