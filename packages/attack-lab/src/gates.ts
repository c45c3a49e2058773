/**
 * CI gates: thresholds an attack must stay under, per attack kind. A crossed gate makes
 * `bulwark attack` exit 1 and `assertRobust` throw. A gate that measured nothing does not pass:
 * over an inconclusive run (nothing answered) or a target that does not exist it is
 * `inconclusive` / `missing`, and `bulwark attack` exits 3.
 */
import { parseOptions, s } from '@bulwark/core';
import { type AttackRun, headline } from './report/report.js';

export const gatesSchema = s.object({
  extraction: s.optional(s.object({ maxFidelity: s.number({ min: 0, max: 1 }) })),
  membership: s.optional(
    s.object({
      maxAdvantage: s.optional(s.number({ min: 0, max: 1 })),
      maxAuc: s.optional(s.number({ min: 0, max: 1 })),
      maxTprAt1PctFpr: s.optional(s.number({ min: 0, max: 1 })),
    }),
  ),
  evasion: s.optional(s.object({ maxSuccessRate: s.number({ min: 0, max: 1 }) })),
  /** Targets the gates apply to (default: every target but `unguarded`). */
  targets: s.optional(s.array(s.string())),
});

export interface Gates {
  readonly extraction?: { readonly maxFidelity: number };
  readonly membership?: { readonly maxAdvantage?: number; readonly maxAuc?: number; readonly maxTprAt1PctFpr?: number };
  readonly evasion?: { readonly maxSuccessRate: number };
  readonly targets?: readonly string[];
}

export type GateStatus = 'pass' | 'fail' | 'inconclusive' | 'missing';

export interface GateResult {
  readonly gate: string;
  readonly target: string;
  /** Undefined when nothing was measured. */
  readonly value: number | undefined;
  readonly threshold: number;
  readonly status: GateStatus;
  /** Only `pass` passes. */
  readonly passed: boolean;
  /** Why a gate is inconclusive or missing. */
  readonly reason?: string | undefined;
}

export function parseGates(value: unknown, source = 'gates'): Gates {
  return parseOptions(gatesSchema, value, source) as Gates;
}

const MEMBERSHIP = new Set(['membership', 'lira', 'label-only']);
const EVASION = new Set(['evasion', 'transfer']);

export function checkGates(runs: readonly AttackRun[], gates: Gates): GateResult[] {
  const out: GateResult[] = [];
  const selected = (t: string) => (gates.targets ? gates.targets.includes(t) : t !== 'unguarded');
  const push = (gate: string, target: string, value: number | undefined, threshold: number, reason?: string) => {
    const status: GateStatus = value === undefined ? 'inconclusive' : value <= threshold ? 'pass' : 'fail';
    out.push({ gate, target, value, threshold, status, passed: status === 'pass', reason });
  };
  for (const run of runs) {
    if (!selected(run.target)) continue;
    const r = run.result;
    const h = headline(r);
    const label = `${run.model} ${run.variant ? `${run.variant} ` : ''}`;
    if (r.attack === 'extraction' && gates.extraction)
      push(`${label}extraction fidelity`, run.target, h.estimate?.value, gates.extraction.maxFidelity, h.inconclusive);
    if (MEMBERSHIP.has(r.attack) && gates.membership) {
      const scores =
        r.attack === 'membership'
          ? Object.values(r.attacks).filter((x) => x !== undefined)
          : r.attack === 'lira' || r.attack === 'label-only'
            ? r.score === undefined
              ? []
              : [r.score]
            : [];
      const max = (f: (x: (typeof scores)[number]) => number) => (scores.length === 0 ? undefined : Math.max(...scores.map(f)));
      const m = gates.membership;
      const name = `${label}${r.attack === 'membership' ? 'membership' : r.attack === 'lira' ? 'LiRA' : 'label-only membership'}`;
      if (m.maxAdvantage !== undefined)
        push(
          `${name} advantage`,
          run.target,
          max((x) => x.advantage.value),
          m.maxAdvantage,
          h.inconclusive,
        );
      if (m.maxAuc !== undefined)
        push(
          `${name} AUC`,
          run.target,
          max((x) => x.auc.value),
          m.maxAuc,
          h.inconclusive,
        );
      if (m.maxTprAt1PctFpr !== undefined)
        push(
          `${name} TPR at 1% FPR`,
          run.target,
          max((x) => x.tprAt1PctFpr.value),
          m.maxTprAt1PctFpr,
          h.inconclusive,
        );
    }
    if (EVASION.has(r.attack) && gates.evasion) {
      const what = r.attack === 'evasion' ? `evasion success (${r.method})` : 'transfer evasion';
      push(`${label}${what}`, run.target, h.estimate?.value, gates.evasion.maxSuccessRate, h.inconclusive);
    }
  }
  // A gate over a target that never ran, or over an attack that was not run, measured nothing.
  const kinds = [
    ['extraction', gates.extraction !== undefined, (a: string) => a === 'extraction'],
    ['membership', gates.membership !== undefined, (a: string) => MEMBERSHIP.has(a)],
    ['evasion', gates.evasion !== undefined, (a: string) => EVASION.has(a)],
  ] as const;
  const names = gates.targets ?? [...new Set(runs.map((r) => r.target))].filter((t) => t !== 'unguarded');
  for (const [kind, configured, matches] of kinds) {
    if (!configured) continue;
    for (const target of names) {
      if (runs.some((r) => r.target === target && matches(r.result.attack))) continue;
      const exists = runs.some((r) => r.target === target);
      out.push({
        gate: `${kind} gate`,
        target,
        value: undefined,
        threshold: Number.NaN,
        status: 'missing',
        passed: false,
        reason: exists ? `no ${kind} attack ran against ${target}` : `no target named ${target}`,
      });
    }
    if (names.length === 0)
      out.push({
        gate: `${kind} gate`,
        target: '(none)',
        value: undefined,
        threshold: Number.NaN,
        status: 'missing',
        passed: false,
        reason: 'no guarded target ran',
      });
  }
  return out;
}
