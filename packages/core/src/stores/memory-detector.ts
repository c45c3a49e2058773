/**
 * Detector state in process: the `DetectorStore` half of MemoryStore. Every update is one
 * synchronous critical section. Memory is bounded by key count and by an estimate of bytes held;
 * the cost of one update is bounded too: each update sweeps at most `SWEEP` of the oldest keys for
 * expiry (keys are kept in order of last update, to within a second), never the whole map. Live state is never
 * evicted to make room (that would let a flood of new callers wipe an attacker's history): when
 * full, an update that needs new keys is refused with a StoreError and the detector's failure
 * policy applies.
 */
import { DECAY_HALF_LIVES_KEPT, type DetectorOp, type DetectorResult, decayed, detectorOpProblem } from './detector.js';
import { RememberSet } from './remember-set.js';
import { StoreError } from './types.js';

interface Slot {
  kind: DetectorOp['kind'];
  expiresAt: number;
  bytes: number;
  value: number;
  /** decay: when `value` was last updated. */
  at: number;
  list: string[] | undefined;
  /** remember: the members and when each was last added. */
  set: RememberSet | undefined;
  /** append: which creation of the key this is (unique in the store), for stamps; with `value`, items ever appended. */
  incarnation: number;
  /** When the slot last moved to the end of the map. */
  movedAt: number;
}

/** Keys examined for expiry per update. */
const SWEEP = 8;
/**
 * A key updated again within this time keeps its place in the map (order of last update, give or
 * take this much). Moving a key is a delete and a set, and every delete leaves a hole that V8's
 * Map keeps until it rehashes and that iteration (the sweep) walks over: global keys updated on
 * every call (near-duplicates' shards) made most of the holes. The sweep checks each key's
 * expiry itself; the order only decides which keys it looks at first.
 */
const REORDER_MS = 1000;
const SLOT_BYTES = 96;
const ITEM_BYTES = 40;
const itemBytes = (x: string) => ITEM_BYTES + 2 * x.length;
/** The answer of an append with `answer: false` (frozen: shared by every such answer). */
const NOTHING: readonly string[] = Object.freeze([]);

export interface DetectorMemoryOptions {
  readonly maxKeys: number;
  readonly maxBytes: number;
}

export class DetectorMemory {
  readonly #slots = new Map<string, Slot>();
  #bytes = 0;
  readonly #maxKeys: number;
  readonly #maxBytes: number;
  /** Slots created so far: a slot's incarnation, so a list created again never repeats a stamp. */
  #created = 0;

  constructor(options: DetectorMemoryOptions) {
    this.#maxKeys = options.maxKeys;
    this.#maxBytes = options.maxBytes;
  }

  get size(): number {
    return this.#slots.size;
  }
  get bytes(): number {
    return this.#bytes;
  }

  update(scope: string, ops: readonly DetectorOp[], nowMs: number): DetectorResult[] {
    const problem = detectorOpProblem(ops);
    if (problem !== undefined) throw new StoreError(`detector update refused: ${problem}`);
    this.#sweep(nowMs, SWEEP);
    // Room first, so that either every op applies or none does.
    let fresh = 0;
    let growth = 0;
    // Each key built once (hashing a new concatenated string is most of a lookup).
    const keys = ops.map((op) => `${scope}\u0000${op.key}`);
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as DetectorOp;
      const s = this.#slots.get(keys[i] as string);
      if (s === undefined || s.expiresAt <= nowMs) {
        fresh++;
        growth += SLOT_BYTES;
      }
      if (op.kind === 'append') for (const x of op.items) growth += itemBytes(x);
      else if (op.kind === 'remember') for (const x of op.members) growth += itemBytes(x);
    }
    // Growth is counted before trimming (an upper bound), for known keys too: the byte bound holds.
    if (this.#slots.size + fresh > this.#maxKeys || this.#bytes + growth > this.#maxBytes) {
      this.#sweep(nowMs, SWEEP * 8);
      if (this.#slots.size + fresh > this.#maxKeys || this.#bytes + growth > this.#maxBytes)
        throw new StoreError(`memory detector store is full (${this.#slots.size} keys, ~${this.#bytes} bytes)`);
    }
    const out: DetectorResult[] = [];
    for (let i = 0; i < ops.length; i++) out.push(this.#apply(keys[i] as string, ops[i] as DetectorOp, nowMs));
    return out;
  }

  #slot(key: string, kind: DetectorOp['kind'], nowMs: number): Slot {
    let s = this.#slots.get(key);
    if (s !== undefined && (s.expiresAt <= nowMs || s.kind !== kind)) {
      this.#drop(key, s);
      s = undefined;
    }
    if (s === undefined) {
      s = { kind, expiresAt: nowMs, bytes: SLOT_BYTES, value: 0, at: nowMs, list: undefined, set: undefined, incarnation: this.#created++, movedAt: nowMs };
      this.#bytes += SLOT_BYTES;
      this.#slots.set(key, s);
    } else if (nowMs - s.movedAt >= REORDER_MS || nowMs < s.movedAt) {
      // Moved to the end: the map stays in order of last update, to within REORDER_MS.
      s.movedAt = nowMs;
      this.#slots.delete(key);
      this.#slots.set(key, s);
    }
    return s;
  }

  #apply(key: string, op: DetectorOp, nowMs: number): DetectorResult {
    const s = this.#slot(key, op.kind, nowMs);
    if (op.kind === 'decay') {
      s.value = decayed(s.value, s.at, nowMs, op.halfLifeMs) + op.add;
      s.at = nowMs;
      s.expiresAt = nowMs + DECAY_HALF_LIVES_KEPT * op.halfLifeMs;
      return { kind: 'decay', value: s.value };
    }
    if (op.kind === 'append') {
      if (s.list === undefined) s.list = [];
      const list = s.list;
      const before = op.answer === false ? NOTHING : list.slice();
      const stampBefore = `${s.incarnation}.${s.value}`;
      s.value += op.items.length; // items ever appended: with the incarnation, the list's stamp
      for (const x of op.items) {
        list.push(x);
        this.#grow(s, itemBytes(x));
      }
      // A few items: shift, which V8 does by moving the array's start (splice(0, k) copies the rest,
      // ~2 µs at 1,000); many: one splice rather than many shifts.
      const excess = list.length - op.max;
      if (excess > 16) for (const x of list.splice(0, excess)) this.#grow(s, -itemBytes(x));
      else for (let i = 0; i < excess; i++) this.#grow(s, -itemBytes(list.shift() as string));
      s.expiresAt = nowMs + op.ttlMs;
      const stampAfter = op.items.length === 0 ? stampBefore : `${s.incarnation}.${s.value}`;
      return { kind: 'append', before, stamp: { before: stampBefore, after: stampAfter } };
    }
    if (s.set === undefined) s.set = new RememberSet();
    const set = s.set;
    // Members older than the ttl are forgotten, oldest first (a lookup checks a member's age
    // itself, so this only frees memory sooner; it stops at the first member still fresh).
    set.dropAddedBefore(nowMs - op.ttlMs, (m) => this.#grow(s, -itemBytes(m)));
    // Every member answered before any is added (a member twice in one op is answered the same twice).
    const members = op.members;
    const seen: boolean[] = new Array(members.length);
    for (let i = 0; i < members.length; i++) {
      const t = set.addedAt(members[i] as string);
      seen[i] = t !== undefined && nowMs - t < op.ttlMs;
    }
    for (const m of members) if (set.add(m, nowMs)) this.#grow(s, itemBytes(m));
    while (set.size > op.max) this.#grow(s, -itemBytes(set.dropOldest() as string));
    s.expiresAt = nowMs + op.ttlMs;
    return { kind: 'remember', seen };
  }

  #grow(s: Slot, by: number): void {
    s.bytes += by;
    this.#bytes += by;
  }

  #drop(key: string, s: Slot): void {
    this.#slots.delete(key);
    this.#bytes -= s.bytes;
  }

  /** Drops expired keys among the `n` least recently updated. */
  #sweep(nowMs: number, n: number): void {
    let i = 0;
    for (const [key, s] of this.#slots) {
      if (i++ >= n) break;
      if (s.expiresAt <= nowMs) this.#drop(key, s);
    }
  }
}
