import { type Disclosure, RAW } from '../disclosure.js';
import type { Principal } from '../principal/principal.js';
import type { Clock } from '../runtime/clock.js';
import type { RandomSource } from '../runtime/random.js';
import type { SignalKey } from '../signals.js';
import type { Decision, GuardContext, ModelDescriptor, VerdictHeaders } from '../types.js';

/** A verdict that carries headers. */
export type HeaderSource = { readonly headers?: VerdictHeaders | undefined };

/** A verdict's headers; a function is called as a method of its verdict. */
export function headersOf(v: HeaderSource): Readonly<Record<string, string>> | undefined {
  const h = v.headers;
  return typeof h === 'function' ? h.call(v) : h;
}

import type { GuardEntry } from './guard-entry.js';

/** What every call of one pipeline shares: built once, read through the context's getters. */
export interface PipelineRuntime {
  readonly model: ModelDescriptor;
  readonly maxDisclosure: Disclosure;
  readonly random: RandomSource;
  readonly clock: Clock;
  readonly newId: () => string;
}

/** The mutable context behind the read-only `GuardContext` that guards see. */
export class CallContext<I, O> implements GuardContext<I, O> {
  input: I;
  output: O | undefined = undefined;
  disclosure: Disclosure = RAW;
  /** Every verdict of the call, in order. */
  readonly decisions: Decision[] = [];
  /** True once an enforced modify verdict changed the input or output. */
  modified = false;
  /** Whether durations are measured in this call (they go to a metrics SDK or a recording span). */
  timing = false;
  /** Verdicts whose headers are not merged yet, in order (the first, then the rest). */
  #pendingHeader: HeaderSource | undefined;
  #pendingHeaders: HeaderSource[] | undefined;
  #headers: Record<string, string> | undefined;
  /** Guards to settle (any of their hooks ran and they have a settle hook), in the order they first ran. */
  toSettle: GuardEntry[] | undefined;
  #state: Map<unknown, unknown> | undefined;
  #signals: Map<symbol, unknown> | undefined;
  #requestId: string | undefined;

  constructor(
    private readonly runtime: PipelineRuntime,
    readonly principal: Principal,
    readonly queries: number,
    input: I,
    private readonly options: { readonly signal?: AbortSignal | undefined },
  ) {
    this.input = input;
  }

  // Getters on the prototype: shared per pipeline, nothing allocated per call.
  get model(): ModelDescriptor {
    return this.runtime.model;
  }
  get maxDisclosure(): Disclosure {
    return this.runtime.maxDisclosure;
  }
  get random(): RandomSource {
    return this.runtime.random;
  }
  get clock(): Clock {
    return this.runtime.clock;
  }

  /** Read from the call options on first use (an adapter may build it lazily). */
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** Drawn on first use (most calls only need it for a response header). */
  get requestId(): string {
    if (this.#requestId === undefined) this.#requestId = this.runtime.newId();
    return this.#requestId;
  }

  /** Headers from verdicts, for the answer: merged (and lazy ones built) when first read. */
  get responseHeaders(): Record<string, string> {
    if (this.#headers === undefined) this.#headers = {};
    const first = this.#pendingHeader;
    if (first !== undefined) {
      const rest = this.#pendingHeaders;
      this.#pendingHeader = undefined;
      this.#pendingHeaders = undefined;
      Object.assign(this.#headers, headersOf(first));
      if (rest !== undefined) for (const v of rest) Object.assign(this.#headers, headersOf(v));
    }
    return this.#headers;
  }

  /** Adds a verdict's headers (built when read, if a function); later ones win on the same name. */
  addHeaders(h: HeaderSource): void {
    if (this.#pendingHeader === undefined) this.#pendingHeader = h;
    else if (this.#pendingHeaders === undefined) this.#pendingHeaders = [h];
    else this.#pendingHeaders.push(h);
  }

  /** Created on first use: most calls never touch it. */
  get state(): Map<unknown, unknown> {
    if (this.#state === undefined) this.#state = new Map();
    return this.#state;
  }

  get<T>(key: SignalKey<T>): T | undefined {
    return this.#signals?.get(key.id) as T | undefined;
  }

  /** Applies one signal write (the pipeline calls it for enforcing guards only). */
  setSignal<T>(key: SignalKey<T>, value: T): void {
    if (this.#signals === undefined) this.#signals = new Map();
    const had = this.#signals.has(key.id);
    this.#signals.set(key.id, had && key.combine !== undefined ? key.combine(this.#signals.get(key.id) as T, value) : value);
  }
}
