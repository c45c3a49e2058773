import type { Principal } from '../principal/principal.js';
import type { GuardContext, ModelDescriptor, OutputForm } from '../types.js';

/** The mutable context behind the read-only `GuardContext` that guards see. */
export class CallContext<I, O> implements GuardContext<I, O> {
  input: I;
  output: O | undefined = undefined;
  outputForm: OutputForm = 'raw';
  #state: Map<unknown, unknown> | undefined;

  constructor(
    readonly requestId: string,
    readonly principal: Principal,
    readonly model: ModelDescriptor,
    readonly queries: number,
    input: I,
    readonly signal: AbortSignal | undefined,
  ) {
    this.input = input;
  }

  /** Created on first use: most calls never touch it. */
  get state(): Map<unknown, unknown> {
    if (this.#state === undefined) this.#state = new Map();
    return this.#state;
  }
}
