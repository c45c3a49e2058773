/**
 * CI gates: thresholds an attack must stay under, per attack kind. A crossed gate makes
 * `bulwark attack` exit non-zero, and `assertRobust` throw in a test suite.
 */
import { parseOptions, s } from '@bulwark/core';
import type { AttackRun } from './report/report.js';

export const gatesSchema = s.object({
  extraction: s.optional(s.object({ maxFidelity: s.number({ min: 0, max: 1 }) })),
  membership: s.optional(s.object({ maxAdvantage: s.optional(s.number({ min: 0, max: 1 })), maxAuc: s.optional(s.number({ min: 0, max: 1 })) })),
  evasion: s.optional(s.object({ maxSuccessRate: s.number({ min: 0, max: 1 }) })),
  /** Targets the gates apply to (default: every target but `unguarded`). */
  targets: s.optional(s.array(s.string())),
});

export interface Gates {
  readonly extraction?: { readonly maxFidelity: number };
  readonly membership?: { readonly maxAdvantage?: number; readonly maxAuc?: number };
  readonly evasion?: { readonly maxSuccessRate: number };
  readonly targets?: readonly string[];
}

export interface GateResult {
  readonly gate: string;
  readonly target: string;
  readonly value: number;
  readonly threshold: number;
  readonly passed: boolean;
}

export function parseGates(value: unknown, source = 'gates'): Gates {
  return parseOptions(gatesSchema, value, source) as Gates;
}

export function checkGates(runs: readonly AttackRun[], gates: Gates): GateResult[] {
  const out: GateResult[] = [];
  for (const run of runs) {
    if (gates.targets ? !gates.targets.includes(run.target) : run.target === 'unguarded') continue;
    const r = run.result;
    const add = (gate: string, value: number, threshold: number | undefined) => {
      if (threshold !== undefined) out.push({ gate: `${run.model} ${gate}`, target: run.target, value, threshold, passed: value <= threshold });
    };
    if (r.attack === 'extraction') add('extraction fidelity', r.finalFidelity, gates.extraction?.maxFidelity);
    if (r.attack === 'membership') {
      add('membership advantage', r.best.advantage, gates.membership?.maxAdvantage);
      add('membership AUC', Math.max(...Object.values(r.attacks).map((a) => a?.auc ?? 0)), gates.membership?.maxAuc);
    }
    if (r.attack === 'evasion') add(`evasion success (${r.method})`, r.successRate, gates.evasion?.maxSuccessRate);
  }
  return out;
}
