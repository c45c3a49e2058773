import type { Principal } from '../principal/principal.js';
import type { Decision, GuardContext, ModelDescriptor, OutputForm } from '../types.js';

/** The mutable context behind the read-only `GuardContext` that guards see. */
export class CallContext<I, O> implements GuardContext<I, O> {
  input: I;
  output: O | undefined = undefined;
  outputForm: OutputForm = 'raw';
  /** Every verdict of the call, in order. */
  readonly decisions: Decision[] = [];
  /** True once an enforced modify verdict changed the input or output. */
  modified = false;
  /** Headers from verdicts, for the answer. */
  responseHeaders: Record<string, string> = {};
  /** Guards whose beforeInference ran and that have a settle hook, in order. */
  toSettle: import('./guard-entry.js').GuardEntry[] | undefined;
  #state: Map<unknown, unknown> | undefined;
  #requestId: string | undefined;

  constructor(
    private readonly newId: () => string,
    readonly principal: Principal,
    readonly model: ModelDescriptor,
    readonly queries: number,
    input: I,
    private readonly options: { readonly signal?: AbortSignal | undefined },
  ) {
    this.input = input;
  }

  /** Read from the call options on first use (an adapter may build it lazily). */
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** Drawn on first use (most calls only need it for a response header). */
  get requestId(): string {
    if (this.#requestId === undefined) this.#requestId = this.newId();
    return this.#requestId;
  }

  /** Created on first use: most calls never touch it. */
  get state(): Map<unknown, unknown> {
    if (this.#state === undefined) this.#state = new Map();
    return this.#state;
  }
}
