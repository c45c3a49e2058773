/**
 * The report of an attack run: what was attacked, each attack's result against each target
 * (e.g. `unguarded` and a guarded policy), the utility cost for benign users, and the gates.
 * Reports contain no timestamps or durations, so the same seed gives the same report.
 */
import type { EvasionResult } from '../attacks/evasion.js';
import type { ExtractionResult } from '../attacks/extraction.js';
import type { MembershipResult } from '../attacks/membership.js';
import type { GateResult } from '../gates.js';

export type AttackResult = ExtractionResult | MembershipResult | EvasionResult;

export interface AttackRun {
  /** The target's name, e.g. `unguarded` or the policy file's name. */
  readonly target: string;
  /** The model attacked. */
  readonly model: string;
  readonly result: AttackResult;
}

/** What the guards cost benign users: their answers on held-out data, against the unguarded model. */
export interface UtilityRow {
  readonly target: string;
  readonly model: string;
  /** Accuracy of the returned labels against the true labels. */
  readonly accuracy: number;
  /** Agreement of the returned labels with the unguarded model's. */
  readonly labelAgreement: number;
  /** Mean absolute change of the returned scores (1 when scores are withheld). */
  readonly meanScoreChange: number;
  /** Share of benign requests refused. */
  readonly refused: number;
}

export interface Report {
  readonly title: string;
  readonly seed: number;
  readonly runs: readonly AttackRun[];
  readonly utility: readonly UtilityRow[];
  readonly gates: readonly GateResult[];
}

/** The headline figure of a result, as [metric name, value]: what gates and tables compare. */
export function headline(r: AttackResult): [string, number] {
  if (r.attack === 'extraction') return ['fidelity', r.finalFidelity];
  if (r.attack === 'membership') return ['advantage', r.best.advantage];
  return ['success rate', r.successRate];
}

export function describeRun(r: AttackResult): string {
  if (r.attack === 'extraction') return `extraction (${r.strategy}${r.labelOnly ? ', labels only' : ''})`;
  if (r.attack === 'membership') return `membership (best: ${r.best.name}${r.labelOnly ? ', labels only' : ''})`;
  return `evasion (${r.method}, ${r.norm === 'l2' ? 'L2' : 'L∞'} ε=${r.epsilon})`;
}
