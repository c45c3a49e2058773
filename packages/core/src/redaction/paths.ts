/**
 * Path rules, compiled once (as pino compiles its redaction paths): `cases.*.customer.email`,
 * `cases[*].notes`, `**.password`. A path is dot-separated keys; `*` matches one key or array
 * index, `**` any number of them (none included); `[*]` and `[3]` read as `.*` and `.3`. Matching
 * walks the output once, carrying the set of rule positions still alive at each node.
 */

export class PathError extends Error {
  override readonly name = 'PathError';
}

export interface CompiledPaths {
  readonly size: number;
  /** Rule positions at the root. */
  readonly root: Int32Array;
  /** Positions after stepping on `key` from `states` (a new array; the input is not changed). */
  step(states: Int32Array, key: string): Int32Array;
  /** Index of the first rule complete at `states`, or -1. */
  accepted(states: Int32Array): number;
}

const SEGMENT = /^(?:\*\*|\*|[^.[\]*]+)$/;

/** Splits `a.b[*].c` into segments, checking each. */
export function parsePath(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0 || path.length > 512) throw new PathError('a path must be 1-512 characters');
  const segments = path
    .replace(/\[(\*|\d+)\]/g, '.$1')
    .split('.')
    .filter((s, i) => !(i === 0 && s === '' && path.startsWith('[')));
  for (const s of segments) if (!SEGMENT.test(s)) throw new PathError(`"${path}": each segment is a key, "*" or "**"`);
  return segments;
}

/**
 * Compiles paths. A state is `rule * 64 + position`; at most 64 segments per path.
 */
export function compilePaths(paths: readonly string[]): CompiledPaths {
  const rules = paths.map(parsePath);
  for (const r of rules) if (r.length >= 64) throw new PathError('a path may have at most 63 segments');
  const enc = (rule: number, pos: number) => rule * 64 + pos;
  // Positions past a `**` are reachable without consuming a key.
  function close(states: number[]): Int32Array {
    const seen = new Set<number>();
    const out: number[] = [];
    const stack = [...states];
    while (stack.length > 0) {
      const s = stack.pop() as number;
      if (seen.has(s)) continue;
      seen.add(s);
      out.push(s);
      const rule = rules[Math.floor(s / 64)] as string[];
      const pos = s % 64;
      if (rule[pos] === '**') stack.push(s + 1);
    }
    return Int32Array.from(out);
  }
  const root = close(rules.map((_, i) => enc(i, 0)));
  return {
    size: rules.length,
    root,
    step(states, key) {
      if (states.length === 0) return states;
      const next: number[] = [];
      for (const s of states) {
        const rule = rules[Math.floor(s / 64)] as string[];
        const pos = s % 64;
        const seg = rule[pos];
        if (seg === undefined) continue;
        if (seg === '**') next.push(s);
        else if (seg === '*' || seg === key) next.push(s + 1);
      }
      return next.length === 0 ? EMPTY : close(next);
    },
    accepted(states) {
      let best = -1;
      for (const s of states) {
        const rule = Math.floor(s / 64);
        if (s % 64 === (rules[rule] as string[]).length && (best < 0 || rule < best)) best = rule;
      }
      return best;
    },
  };
}

const EMPTY = new Int32Array(0);
