/**
 * Path rules, compiled once (as pino compiles its redaction paths): `cases.*.customer.email`,
 * `cases[*].notes`, `**.password`. A path is dot-separated keys; `*` matches one key or array
 * index, `**` any number of them (none included); `[*]` and `[3]` read as `.*` and `.3`. Matching
 * walks the output once, carrying the set of rule positions still alive at each node.
 */

export class PathError extends Error {
  override readonly name = 'PathError';
}

/**
 * A set of rule positions, interned: the same set is the same node, with its transitions cached,
 * so walking an output costs a map lookup per key (after the first answer of a shape).
 */
export interface PathNode {
  /** Index of the first rule complete here, or -1. */
  readonly accepted: number;
  /** True when no rule can complete below this node. */
  readonly dead: boolean;
}

export interface CompiledPaths {
  readonly size: number;
  readonly root: PathNode;
  /** The node after stepping on `key`. */
  step(node: PathNode, key: string): PathNode;
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
 * Compiles paths. A state is `rule * 64 + position` (at most 63 segments per path); a node is a
 * closed set of states. Transitions are cached per node: for keys that some rule names at that
 * node, one entry each; every other key takes the node's single wildcard transition. The cache is
 * therefore bounded by the rules, whatever keys an output holds.
 */
export function compilePaths(paths: readonly string[]): CompiledPaths {
  const rules = paths.map(parsePath);
  for (const r of rules) if (r.length >= 64) throw new PathError('a path may have at most 63 segments');
  interface Node extends PathNode {
    readonly states: Int32Array;
    /** Keys some rule names literally at one of this node's positions. */
    readonly literals: ReadonlySet<string>;
    readonly next: Map<string, Node>;
    other: Node | undefined;
  }
  const interned = new Map<string, Node>();
  function node(states: number[]): Node {
    // Positions past a `**` are reachable without consuming a key.
    const seen = new Set<number>();
    const stack = [...states];
    while (stack.length > 0) {
      const st = stack.pop() as number;
      if (seen.has(st)) continue;
      seen.add(st);
      const rule = rules[Math.floor(st / 64)] as string[];
      if (rule[st % 64] === '**') stack.push(st + 1);
    }
    const closed = Int32Array.from([...seen].sort((a, b) => a - b));
    const id = closed.join(',');
    const known = interned.get(id);
    if (known !== undefined) return known;
    let accepted = -1;
    const literals = new Set<string>();
    let live = false;
    for (const st of closed) {
      const rule = rules[Math.floor(st / 64)] as string[];
      const seg = rule[st % 64];
      if (seg === undefined) {
        if (accepted < 0 || Math.floor(st / 64) < accepted) accepted = Math.floor(st / 64);
      } else {
        live = true;
        if (seg !== '*' && seg !== '**') literals.add(seg);
      }
    }
    const made: Node = { states: closed, accepted, dead: !live, literals, next: new Map(), other: undefined };
    interned.set(id, made);
    return made;
  }
  function compute(from: Node, key: string | undefined): Node {
    const next: number[] = [];
    for (const st of from.states) {
      const seg = (rules[Math.floor(st / 64)] as string[])[st % 64];
      if (seg === undefined) continue;
      if (seg === '**') next.push(st);
      else if (seg === '*' || (key !== undefined && seg === key)) next.push(st + 1);
    }
    return node(next);
  }
  const root = node(rules.map((_, i) => i * 64));
  return {
    size: rules.length,
    root,
    step(n, key) {
      const from = n as Node;
      if (from.dead) return from;
      if (from.literals.has(key)) {
        let to = from.next.get(key);
        if (to === undefined) {
          to = compute(from, key);
          from.next.set(key, to);
        }
        return to;
      }
      // Every key no rule names here goes the same way.
      from.other ??= compute(from, undefined);
      return from.other;
    },
  };
}
