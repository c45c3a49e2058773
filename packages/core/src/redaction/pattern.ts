/**
 * User patterns, run in linear time. JavaScript's RegExp backtracks: `(a+)+$` on a long run of `a`
 * takes exponential time, and redaction runs on text an attacker shapes. User detectors are
 * therefore compiled here to a Thompson NFA and run by Pike's simulation: every position of the
 * text is visited with at most one thread per NFA state, so a scan costs O(text × pattern) whatever
 * the pattern. Matches are leftmost-longest and at most `maxLength` characters (default 256): a
 * secret is short, and the cap bounds the work a match can cost.
 *
 * Supported: literals and escapes, `.`, classes `[a-z0-9_]` `[^…]`, `\d \D \w \W \s \S`,
 * groups `( )` `(?: )`, `|`, `* + ?`, `{n}` `{n,}` `{n,m}` (m ≤ 100), anchors `^ $ \b \B`, flag
 * `i`. Not supported (a compile error names them): backreferences and lookaround, which no linear
 * engine can run.
 */

export class PatternError extends Error {
  override readonly name = 'PatternError';
}

/** A set of characters: a bitmap for ASCII, one answer for everything above. */
interface CharSet {
  readonly ascii: Uint8Array;
  readonly other: boolean;
}

type Inst =
  | { readonly op: 'char'; readonly set: CharSet }
  | { readonly op: 'split'; x: number; y: number }
  | { readonly op: 'jmp'; x: number }
  | { readonly op: 'assert'; readonly kind: '^' | '$' | 'b' | 'B' }
  | { readonly op: 'match' };

type Node =
  | { readonly t: 'set'; readonly set: CharSet }
  | { readonly t: 'cat'; readonly items: Node[] }
  | { readonly t: 'alt'; readonly items: Node[] }
  | { readonly t: 'rep'; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly t: 'assert'; readonly kind: '^' | '$' | 'b' | 'B' };

const MAX_REPEAT = 100;
const MAX_PROGRAM = 20_000;

function makeSet(test: (c: number) => boolean, other: boolean): CharSet {
  const ascii = new Uint8Array(128);
  for (let c = 0; c < 128; c++) ascii[c] = test(c) ? 1 : 0;
  return { ascii, other };
}
const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const CLASSES: Record<string, CharSet> = {
  d: makeSet((c) => c >= 48 && c <= 57, false),
  D: makeSet((c) => !(c >= 48 && c <= 57), true),
  w: makeSet(isWord, false),
  W: makeSet((c) => !isWord(c), true),
  s: makeSet(isSpace, true),
  S: makeSet((c) => !isSpace(c), true),
};
const ANY = makeSet((c) => c !== 10, true);

class Parser {
  i = 0;
  constructor(
    readonly src: string,
    readonly fold: boolean,
  ) {}

  fail(rule: string): never {
    throw new PatternError(`pattern: ${rule} at offset ${this.i}`);
  }
  peek(): string | undefined {
    return this.src[this.i];
  }
  parse(): Node {
    const node = this.alt();
    if (this.i < this.src.length) this.fail(`unexpected "${this.src[this.i]}"`);
    return node;
  }
  alt(): Node {
    const items = [this.cat()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.cat());
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'alt', items };
  }
  cat(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') items.push(this.repeat(this.atom()));
    return { t: 'cat', items };
  }
  repeat(node: Node): Node {
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
      else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(this.src.slice(this.i, this.i + 16));
        if (m === null) this.fail('a repeat must read {n}, {n,} or {n,m}');
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
        if (min > MAX_REPEAT || (Number.isFinite(max) && max > MAX_REPEAT) || max < min) this.fail(`repeat counts must be ordered and at most ${MAX_REPEAT}`);
        this.i += m[0].length - 1;
      } else return node;
      this.i++;
      if (this.peek() === '?') this.i++; // lazy or greedy: the same for leftmost-longest
      if (node.t === 'assert') this.fail('an anchor cannot be repeated');
      node = { t: 'rep', node, min, max };
    }
  }
  atom(): Node {
    const c = this.src[this.i++] as string;
    switch (c) {
      case '(': {
        if (this.src.startsWith('?:', this.i)) this.i += 2;
        else if (this.peek() === '?') this.fail('lookaround and named groups are not supported');
        const node = this.alt();
        if (this.src[this.i++] !== ')') this.fail('missing ")"');
        return node;
      }
      case '[':
        return { t: 'set', set: this.klass() };
      case '.':
        return { t: 'set', set: ANY };
      case '^':
      case '$':
        return { t: 'assert', kind: c };
      case '\\': {
        const e = this.src[this.i++];
        if (e === undefined) this.fail('a pattern cannot end with "\\"');
        if (e === 'b' || e === 'B') return { t: 'assert', kind: e };
        if (/[1-9k]/.test(e)) this.fail('backreferences are not supported');
        return { t: 'set', set: this.escape(e) };
      }
      case ')':
      case '*':
      case '+':
      case '?':
      case '{':
        return this.fail(`nothing to apply "${c}" to`);
      default:
        return { t: 'set', set: this.literal(c.codePointAt(0) as number) };
    }
  }
  literal(cp: number): CharSet {
    const fold = this.fold;
    const lower = cp >= 65 && cp <= 90 ? cp + 32 : cp;
    if (cp >= 128) this.fail('non-ASCII literals are not supported: detectors see normalised text (docs/redaction.md)');
    return makeSet((c) => c === cp || (fold && (c >= 65 && c <= 90 ? c + 32 : c) === lower), false);
  }
  escape(e: string): CharSet {
    const named = CLASSES[e];
    if (named !== undefined) return named;
    const map: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, '0': 0 };
    if (e in map) return this.literal(map[e] as number);
    if (/[a-zA-Z]/.test(e)) this.fail(`unknown escape "\\${e}"`);
    return this.literal(e.charCodeAt(0));
  }
  klass(): CharSet {
    const negate = this.peek() === '^';
    if (negate) this.i++;
    const ascii = new Uint8Array(128);
    let other = false;
    let first = true;
    for (;;) {
      const c = this.src[this.i++];
      if (c === undefined) this.fail('missing "]"');
      if (c === ']' && !first) break;
      first = false;
      let lo: number;
      if (c === '\\') {
        const e = this.src[this.i++] as string;
        const named = CLASSES[e];
        if (named !== undefined) {
          for (let k = 0; k < 128; k++) if (named.ascii[k]) ascii[k] = 1;
          other ||= named.other;
          continue;
        }
        lo = this.escape(e).ascii.indexOf(1);
      } else lo = c.charCodeAt(0);
      if (lo >= 128) this.fail('non-ASCII characters in classes are not supported');
      let hi = lo;
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined) {
        this.i++;
        const h = this.src[this.i++] as string;
        hi = h === '\\' ? this.escape(this.src[this.i++] as string).ascii.indexOf(1) : h.charCodeAt(0);
        if (hi < lo || hi >= 128) this.fail('a class range must be ordered ASCII');
      }
      for (let k = lo; k <= hi; k++) {
        ascii[k] = 1;
        if (this.fold && k >= 65 && k <= 90) ascii[k + 32] = 1;
        if (this.fold && k >= 97 && k <= 122) ascii[k - 32] = 1;
      }
    }
    if (!negate) return { ascii, other };
    return { ascii: ascii.map((b) => 1 - b), other: !other };
  }
}

function emit(node: Node, prog: Inst[]): void {
  if (prog.length > MAX_PROGRAM) throw new PatternError(`pattern: too large once repeats are expanded (over ${MAX_PROGRAM} states)`);
  switch (node.t) {
    case 'set':
      prog.push({ op: 'char', set: node.set });
      return;
    case 'assert':
      prog.push({ op: 'assert', kind: node.kind });
      return;
    case 'cat':
      for (const item of node.items) emit(item, prog);
      return;
    case 'alt': {
      const jumps: { op: 'jmp'; x: number }[] = [];
      for (let k = 0; k < node.items.length; k++) {
        if (k < node.items.length - 1) {
          const split: Inst = { op: 'split', x: prog.length + 1, y: -1 };
          prog.push(split);
          emit(node.items[k] as Node, prog);
          const j = { op: 'jmp' as const, x: -1 };
          prog.push(j);
          jumps.push(j);
          split.y = prog.length;
        } else emit(node.items[k] as Node, prog);
      }
      for (const j of jumps) j.x = prog.length;
      return;
    }
    case 'rep': {
      for (let k = 0; k < node.min; k++) emit(node.node, prog);
      if (!Number.isFinite(node.max)) {
        const split: Inst = { op: 'split', x: prog.length + 1, y: -1 };
        prog.push(split);
        emit(node.node, prog);
        prog.push({ op: 'jmp', x: prog.indexOf(split) });
        split.y = prog.length;
        return;
      }
      const splits: { op: 'split'; x: number; y: number }[] = [];
      for (let k = node.min; k < node.max; k++) {
        const split = { op: 'split' as const, x: prog.length + 1, y: -1 };
        prog.push(split);
        splits.push(split);
        emit(node.node, prog);
      }
      for (const s of splits) s.y = prog.length;
    }
  }
}

/** A compiled pattern: `scan` reports leftmost-longest, non-overlapping, non-empty matches. */
export interface CompiledPattern {
  readonly source: string;
  scan(text: string, found: (start: number, end: number) => void): void;
}

/**
 * Compiles a pattern for the linear-time engine.
 *
 * @example
 * ```ts
 * compilePattern('EMP-\\d{6}').scan('badge EMP-004211 ok', (s, e) => …) // (6, 16)
 * ```
 * @throws {PatternError} naming the unsupported construct and its offset.
 */
export function compilePattern(source: string, options: { readonly ignoreCase?: boolean; readonly maxLength?: number } = {}): CompiledPattern {
  if (typeof source !== 'string' || source.length === 0 || source.length > 1000) throw new PatternError('pattern: must be 1-1000 characters');
  const maxLength = options.maxLength ?? 256;
  const prog: Inst[] = [];
  emit(new Parser(source, options.ignoreCase === true).parse(), prog);
  prog.push({ op: 'match' });
  const size = prog.length;

  return {
    source,
    scan(text, found) {
      const n = text.length;
      // Thread lists: NFA state → start of the thread in it; `gen` marks states added at a position.
      let cur = new Int32Array(size);
      let curStart = new Int32Array(size);
      let next = new Int32Array(size);
      let nextStart = new Int32Array(size);
      const mark = new Int32Array(size).fill(-1);
      let stack: Int32Array = new Int32Array(size);
      let gen = 0;
      let pos = 0;
      while (pos < n) {
        let count = 0;
        let bestStart = -1;
        let bestEnd = -1;
        let p = pos;
        gen++;
        const add = (list: Int32Array, starts: Int32Array, len: number, pc0: number, start: number, at: number): number => {
          let sp = 0;
          stack[sp++] = pc0;
          while (sp > 0) {
            const pc = stack[--sp] as number;
            if (mark[pc] === gen) continue;
            mark[pc] = gen;
            const inst = prog[pc] as Inst;
            if (inst.op === 'jmp') stack[sp++] = inst.x;
            else if (inst.op === 'split') {
              if (sp + 2 > stack.length) stack = growTo(stack, sp + 2);
              stack[sp++] = inst.y;
              stack[sp++] = inst.x;
            } else if (inst.op === 'assert') {
              if (holds(inst.kind, text, at)) stack[sp++] = pc + 1;
            } else {
              list[len] = pc;
              starts[len++] = start;
            }
          }
          return len;
        };
        count = add(cur, curStart, 0, 0, p, p);
        for (;;) {
          const c = p < n ? text.charCodeAt(p) : -1;
          gen++;
          let nextCount = 0;
          for (let t = 0; t < count; t++) {
            const pc = cur[t] as number;
            const start = curStart[t] as number;
            const inst = prog[pc] as Inst;
            if (inst.op === 'match') {
              if (p > start && (bestStart < 0 || start < bestStart || (start === bestStart && p > bestEnd))) {
                bestStart = start;
                bestEnd = p;
              }
              continue;
            }
            if (inst.op !== 'char' || c < 0 || p + 1 - start > maxLength) continue;
            if (bestStart >= 0 && start > bestStart) continue;
            if (c < 128 ? inst.set.ascii[c] === 1 : inst.set.other) nextCount = add(next, nextStart, nextCount, pc + 1, start, p + 1);
          }
          p++;
          // Until a match is found, a thread starts at every position (unanchored search).
          if (bestStart < 0 && p < n) nextCount = add(next, nextStart, nextCount, 0, p, p);
          [cur, next] = [next, cur];
          [curStart, nextStart] = [nextStart, curStart];
          count = nextCount;
          // No thread left: done once a match is found or the text ends; otherwise the next start is tried.
          if (p > n || (count === 0 && (bestStart >= 0 || p >= n))) break;
        }
        if (bestStart < 0) return;
        found(bestStart, bestEnd);
        pos = bestEnd;
      }
    },
  };
}

function holds(kind: '^' | '$' | 'b' | 'B', text: string, at: number): boolean {
  if (kind === '^') return at === 0;
  if (kind === '$') return at === text.length;
  const before = at > 0 && isWord(text.charCodeAt(at - 1));
  const after = at < text.length && isWord(text.charCodeAt(at));
  return kind === 'b' ? before !== after : before === after;
}

function growTo(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}
