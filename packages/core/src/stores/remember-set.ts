/**
 * A set of strings in order of last addition, for the memory store's `remember` op: which members
 * are there and when each was last added; drop the oldest, or those added before a time.
 *
 * Why not one `Map` in insertion order (delete and set again to move a member to the end, iterate
 * from the start to drop the oldest)? V8's Map leaves a hole for every deleted entry until it
 * rehashes, and iteration from the start walks over every hole: a full set of 10,000 members that
 * drops one for each one added walked thousands of holes per drop (measured: a near-duplicates
 * query of 21 tokens cost 50-130 µs in the store alone once its shards were full, against 14-28
 * before). Here the order lives in a log, an array of entries appended at the end and consumed
 * from the head; the Map only says which log entry is a member's newest, and is never iterated.
 * A refreshed member's older entries stay in the log, marked stale by that Map; the log is
 * rebuilt from live entries when stale ones outnumber live ones (amortised O(1) per addition), so
 * it holds at most 2 × (the most members the set held) + 1,024 entries.
 */
const SLACK = 1024;

export class RememberSet {
  /** member → sequence number of its newest log entry. */
  readonly #newest = new Map<string, number>();
  /** Log entries in order of addition; entry number `#base + i` is at index `i`. */
  #members: string[] = [];
  #times: number[] = [];
  #base = 0;
  /** Index of the oldest entry not yet consumed. */
  #head = 0;

  get size(): number {
    return this.#newest.size;
  }

  /** Entries in the log, live and stale (for tests of the bound). */
  get logLength(): number {
    return this.#members.length - this.#head;
  }

  /** When `member` was last added, or undefined if it is not in the set. */
  addedAt(member: string): number | undefined {
    const seq = this.#newest.get(member);
    return seq === undefined ? undefined : this.#times[seq - this.#base];
  }

  /** Adds `member` at `time`, or moves it to the end with that time; true if it was not there. */
  add(member: string, time: number): boolean {
    const size = this.#newest.size;
    this.#newest.set(member, this.#base + this.#members.length);
    this.#members.push(member);
    this.#times.push(time);
    if (this.#members.length - this.#head > 2 * this.#newest.size + SLACK) this.#rebuild();
    return this.#newest.size > size;
  }

  /** Drops the member added longest ago and returns it (undefined when empty). */
  dropOldest(): string | undefined {
    while (this.#head < this.#members.length) {
      const member = this.#members[this.#head] as string;
      const seq = this.#base + this.#head++;
      if (this.#newest.get(member) === seq) {
        this.#newest.delete(member);
        this.#consumed();
        return member;
      }
    }
    return undefined;
  }

  /** Drops members last added at or before `time`, calling `dropped` for each. */
  dropAddedBefore(time: number, dropped: (member: string) => void): void {
    while (this.#head < this.#members.length && (this.#times[this.#head] as number) <= time) {
      const member = this.#members[this.#head] as string;
      const seq = this.#base + this.#head++;
      if (this.#newest.get(member) === seq) {
        this.#newest.delete(member);
        dropped(member);
      }
    }
    this.#consumed();
  }

  /** Frees the consumed head of the log once it is most of the arrays. */
  #consumed(): void {
    if (this.#head > SLACK && this.#head * 2 > this.#members.length) {
      this.#members = this.#members.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }

  /** Keeps only live entries, in order (sequence numbers restart at `#base`). */
  #rebuild(): void {
    const members: string[] = [];
    const times: number[] = [];
    for (let i = this.#head; i < this.#members.length; i++) {
      const member = this.#members[i] as string;
      if (this.#newest.get(member) !== this.#base + i) continue;
      members.push(member);
      times.push(this.#times[i] as number);
    }
    // New numbers above every old one, so no stale number can collide with a live one.
    const base = this.#base + this.#members.length;
    for (let i = 0; i < members.length; i++) this.#newest.set(members[i] as string, base + i);
    this.#members = members;
    this.#times = times;
    this.#base = base;
    this.#head = 0;
  }
}
