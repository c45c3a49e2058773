/**
 * The report of an attack run: what the attacker held, each attack's result against each target
 * (e.g. `unguarded` and a guarded policy) with n and an interval, the change against unguarded
 * and whether it is real, the utility cost for benign users, and the gates. Reports contain no
 * timestamps or durations, so the same seed gives the same report.
 */
import type { AveragingResult } from '../attacks/averaging.js';
import type { EvasionResult } from '../attacks/evasion.js';
import type { ExtractionResult } from '../attacks/extraction.js';
import type { LabelOnlyResult } from '../attacks/label-only.js';
import type { LiraResult } from '../attacks/lira.js';
import type { MembershipResult } from '../attacks/membership.js';
import type { TransferResult } from '../attacks/transfer.js';
import type { GateResult } from '../gates.js';
import { difference, type Estimate, formatEstimate } from '../stats/intervals.js';

export type AttackResult = ExtractionResult | MembershipResult | LiraResult | LabelOnlyResult | EvasionResult | TransferResult | AveragingResult;

export interface AttackRun {
  /** The target's name, e.g. `unguarded` or the policy file's name. */
  readonly target: string;
  /** The model attacked. */
  readonly model: string;
  readonly result: AttackResult;
  /** A label for runs of one attack in variants (e.g. "10 keys, round-robin"). */
  readonly variant?: string | undefined;
}

/** What the guards cost benign users: their answers on held-out data, against the unguarded model. */
export interface UtilityRow {
  readonly target: string;
  readonly model: string;
  /** Accuracy of the returned labels against the true labels. */
  readonly accuracy: Estimate;
  /** Agreement of the returned labels with the unguarded model's. */
  readonly labelAgreement: Estimate;
  /** Mean absolute change of the returned scores (1 when scores are withheld). */
  readonly meanScoreChange: number;
  /** Share of benign requests refused. */
  readonly refused: Estimate;
}

/** What the attacker held: every report says it first. */
export interface AttackerKnowledge {
  /** Data from the target's distribution, e.g. "4,000 rows of the training distribution (20%)", or "none (uniform queries in the feature box)". */
  readonly data: string;
  /** e.g. "1 API key", "10 API keys, round-robin". */
  readonly identities: string;
  /** e.g. "10,000 queries (extraction); 1,000 per sample (evasion)". */
  readonly queryBudget: string;
  /** e.g. "waits out Retry-After up to 2 s". */
  readonly timeBudget: string;
  /** Anything else it knows (the training recipe, the defence's design). */
  readonly other?: string | undefined;
}

export interface Report {
  readonly title: string;
  readonly seed: number;
  readonly attacker?: AttackerKnowledge | undefined;
  readonly runs: readonly AttackRun[];
  readonly utility: readonly UtilityRow[];
  readonly gates: readonly GateResult[];
}

export interface Headline {
  readonly metric: string;
  /** Undefined when the run measured nothing. */
  readonly estimate: Estimate | undefined;
  /** Why nothing was measured. */
  readonly inconclusive: string | undefined;
}

/** The headline figure of a result: what gates, verdicts and tables compare. */
export function headline(r: AttackResult): Headline {
  switch (r.attack) {
    case 'extraction':
      return { metric: 'fidelity', estimate: r.fidelity, inconclusive: r.inconclusive };
    case 'membership':
      return { metric: `AUC (${r.best?.name ?? 'best'})`, estimate: r.best?.score.auc, inconclusive: r.inconclusive };
    case 'lira':
      return { metric: 'TPR at 1% FPR', estimate: r.score?.tprAt1PctFpr, inconclusive: r.inconclusive };
    case 'label-only':
      return { metric: 'AUC', estimate: r.score?.auc, inconclusive: r.inconclusive };
    case 'evasion':
      return { metric: 'success rate', estimate: r.successRate, inconclusive: r.inconclusive };
    case 'transfer':
      return { metric: 'transfer rate', estimate: r.transferRate, inconclusive: r.inconclusive };
    case 'averaging': {
      const last = r.points[r.points.length - 1];
      return { metric: `score error after ${last?.repeats ?? 0} repeats`, estimate: last?.error, inconclusive: r.inconclusive };
    }
  }
}

/** The attack and its settings (what the target answered is in the detail, not here). */
export function describeRun(r: AttackResult): string {
  switch (r.attack) {
    case 'extraction':
      return `extraction (${r.strategy})`;
    case 'membership':
      return 'membership (confidence, loss, shadow; one threshold)';
    case 'lira':
      return `membership, LiRA offline (${r.shadowModels} shadows)`;
    case 'label-only':
      return `membership, label-only (noise ${r.noise}σ × ${r.neighbours})`;
    case 'evasion':
      return `evasion (${r.method}, ${r.norm === 'l2' ? 'L2' : 'L∞'} ε=${r.epsilon})`;
    case 'transfer':
      return `transfer evasion (surrogate PGD, ${r.norm === 'l2' ? 'L2' : 'L∞'} ε=${r.epsilon}, 0 queries)`;
    case 'averaging':
      return `averaging (${r.jitter === 0 ? 'identical repeats' : `jitter ${r.jitter}σ`})`;
  }
}

/** "0.912 [0.89, 0.93] (n 1000)", or "not measured: …". */
export function formatHeadline(h: Headline): string {
  return h.estimate === undefined ? `not measured (${h.inconclusive ?? 'no data'})` : formatEstimate(h.estimate);
}

/** Whether a higher headline is better for the attacker (everything but the averaging error). */
const attackerWantsHigher = (r: AttackResult) => r.attack !== 'averaging';

/**
 * What makes two runs the same attack, whatever the target answered: the attack and its settings
 * (not what it observed, such as "labels only" or which membership score came out best).
 */
export function attackKey(r: AttackResult): string {
  switch (r.attack) {
    case 'extraction':
      return `extraction/${r.strategy}`;
    case 'evasion':
      return `evasion/${r.method}/${r.norm}/${r.epsilon}`;
    case 'transfer':
      return `transfer/${r.norm}/${r.epsilon}`;
    case 'averaging':
      return `averaging/${r.jitter}`;
    case 'label-only':
      return 'label-only';
    default:
      return r.attack;
  }
}

/** The same attack on the same model against `unguarded` in a report, if any. */
export function baselineOf(report: Pick<Report, 'runs'>, run: AttackRun): AttackRun | undefined {
  if (run.target === 'unguarded') return undefined;
  return report.runs.find(
    (r) => r.target === 'unguarded' && r.model === run.model && r.variant === run.variant && attackKey(r.result) === attackKey(run.result),
  );
}

/** "−0.041 [−0.06, −0.02], real" against unguarded; "not comparable" when either was not measured. */
export function changeAgainst(run: AttackRun, baseline: AttackRun | undefined): { text: string; real: boolean; value: number | undefined } {
  if (baseline === undefined) return { text: '', real: false, value: undefined };
  const a = headline(run.result).estimate;
  const b = headline(baseline.result).estimate;
  if (a === undefined || b === undefined) return { text: 'not comparable (not measured)', real: false, value: undefined };
  const d = difference(a, b);
  const sign = (v: number) => (v > 0 ? '+' : v < 0 ? '−' : '±') + Math.abs(v).toFixed(3);
  return { text: `${sign(d.value)} [${d.lo.toFixed(2)}, ${d.hi.toFixed(2)}]${d.real ? ', real' : ', within noise'}`, real: d.real, value: d.value };
}

/**
 * A one-line verdict per target: for each attack, whether the target changed what the attacker
 * got, measured against unguarded ("lowers extraction fidelity 0.95 → 0.62 (real)", "no
 * measurable effect on evasion", "membership not measured").
 */
export function verdicts(report: Pick<Report, 'runs'>): { target: string; line: string }[] {
  const targets = [...new Set(report.runs.map((r) => r.target))].filter((t) => t !== 'unguarded');
  return targets.map((target) => {
    const parts = report.runs
      .filter((r) => r.target === target)
      .map((run) => {
        const what = `${run.model} ${describeRun(run.result)}${run.variant ? ` [${run.variant}]` : ''}`;
        const h = headline(run.result);
        if (h.estimate === undefined) return `${what}: not measured`;
        const base = baselineOf(report, run);
        if (base === undefined) return `${what}: ${h.metric} ${h.estimate.value.toFixed(3)}`;
        const c = changeAgainst(run, base);
        const b = headline(base.result).estimate;
        if (c.value === undefined || b === undefined) return `${what}: not comparable`;
        if (!c.real) return `${what}: no measurable effect (${h.metric} ${b.value.toFixed(3)} → ${h.estimate.value.toFixed(3)})`;
        const helps = attackerWantsHigher(run.result) ? c.value < 0 : c.value > 0;
        return `${what}: ${helps ? 'lowers' : 'RAISES'} ${h.metric} ${b.value.toFixed(3)} → ${h.estimate.value.toFixed(3)}`;
      });
    return { target, line: parts.join('; ') };
  });
}
