/**
 * `pnpm robustness [--quick] [--out <dir>]`: every attack against every shipped policy, fixed
 * seed, over HTTP against `bulwark serve` on loopback; writes the attack × policy table (each cell
 * a value with its 95% interval, or "not measured") to docs/robustness.md between the generated
 * markers, and the full reports to docs/reports/. `--quick` (small budgets, the test suite's
 * version) writes to --out only. Prints its run time, recorded in docs/robustness.md.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AttackRun, baselineOf, changeAgainst, describeRun, headline, type Report } from '@bulwark/attack-lab';
import { type AttackKind, type AttackPlan, runAttacks } from '../packages/cli/src/attack/run.js';
import { scenario } from '../packages/cli/src/attack/scenarios.js';
import { fillSections, writeReport } from './lib/generated.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const quick = process.argv.includes('--quick');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? (process.argv[outArg + 1] as string) : quick ? undefined : join(root, 'docs/reports');
if (out === undefined) {
  process.stderr.write('usage: pnpm robustness [--quick --out <dir>]\n');
  process.exit(2);
}
const started = Date.now();
const policies = ['rounded', 'top-1', 'label-only', 'budget'].map((p) => `${root}policies/${p}.yaml`);
const targets = ['unguarded', 'rounded', 'top-1', 'label-only', 'budget'];
// The attacker's keys: listed in policies/budget.yaml (each with its own quota); other policies ignore keys.
const attackerKeys = Array.from({ length: 10 }, (_, i) => `sk_lab_attacker_${String(i + 1).padStart(2, '0')}`);
const oneKey = { keys: attackerKeys.slice(0, 1), benignKeys: ['sk_lab_benign'] };
const perRun = { keys: attackerKeys.slice(0, 4), identityPerRun: true, benignKeys: ['sk_lab_benign'] };

type Step = { attack: AttackKind; model: 'fraud' | 'digits' | 'leaky' } & Partial<AttackPlan>;
const steps: Step[] = [
  { attack: 'extraction', model: 'fraud', ...oneKey },
  { attack: 'extraction', model: 'digits', ...oneKey },
  { attack: 'extraction', model: 'digits', keys: attackerKeys, rotate: 'round-robin', benignKeys: ['sk_lab_benign'], variant: '10 keys, round-robin (Sybil)' },
  { attack: 'extraction', model: 'fraud', ...oneKey, strategy: 'random', variant: 'data-free (uniform queries)' },
  // Each membership and evasion attack on a key of its own, so one does not spend another's quota.
  { attack: 'membership', model: 'leaky', ...perRun },
  { attack: 'membership', model: 'fraud', ...perRun },
  { attack: 'evasion', model: 'fraud', ...perRun },
  { attack: 'evasion', model: 'digits', ...perRun },
  { attack: 'averaging', model: 'fraud', ...oneKey },
];
const runs: AttackRun[] = [];
const utility: Report['utility'][number][] = [];
for (const { attack, model, ...plan } of steps) {
  process.stdout.write(`${attack} on ${model}${plan.variant ? ` (${plan.variant})` : ''}…\n`);
  const { report } = await runAttacks({ ...plan, attacks: [attack], scenarios: { [attack]: scenario(model) }, policies, seed: 1, quick, progress: false });
  runs.push(...report.runs);
  for (const u of report.utility) if (!utility.some((x) => x.model === u.model && x.target === u.target)) utility.push(u);
}
const minutes = (Date.now() - started) / 60_000;
const report: Report = {
  title: 'Bulwark robustness: attacks × output policies on the shipped models',
  seed: 1,
  attacker: {
    data: 'per model, as in the attack lab presets (docs/attack-lab.md): fraud 20,000 unlabelled training-distribution rows; digits 449 images; leaky 997 labelled images and the training recipe',
    identities:
      'one API key per attack run (sk_lab_attacker_01 for extraction; membership, LiRA and label-only, and the transfer surrogate and each evasion method, on keys of their own); the Sybil row: ten keys, round-robin; policies without keys see one address',
    queryBudget: `${quick ? 'quick: ' : ''}extraction ${quick ? '1,000' : '10,000'} queries; evasion ${quick ? '100 / 300' : '200 / 400 / 1,000'} per row (score / decision / HopSkipJump); membership each record once, label-only ${quick ? 8 : 32} neighbours`,
    timeBudget: 'waits out a Retry-After of up to 2 s, else next key or stop',
  },
  runs,
  utility,
  gates: [],
};
writeReport(out, 'robustness', report);

// The summary table: one row per attack, one column per policy: value (95% interval), † when the
// change against unguarded is real at 95%; "–" not run; "n/m" not measured.
const rowKey = (r: AttackRun) => `${r.model}: ${describeRun(r.result)}${r.variant ? ` [${r.variant}]` : ''}`; // settings only: the same row for every target
const metricOf = (r: AttackRun) => headline(r.result).metric;
const cell = (r: AttackRun | undefined) => {
  if (r === undefined) return '–';
  const h = headline(r.result);
  if (h.estimate === undefined) return 'not measured';
  const change = changeAgainst(r, baselineOf(report, r));
  return `${h.estimate.value.toFixed(3)} (${h.estimate.lo.toFixed(2)}–${h.estimate.hi.toFixed(2)})${change.real ? ' †' : ''}`;
};
const keys = [...new Set(runs.map(rowKey))];
const lines = [`| attack | metric (n) | ${targets.join(' | ')} |`, `|---|---|${targets.map(() => '---:').join('|')}|`];
for (const key of keys) {
  const row = runs.filter((x) => rowKey(x) === key);
  const first = row[0] as AttackRun;
  const n = headline(first.result).estimate?.n;
  lines.push(`| ${key} | ${metricOf(first)}${n === undefined ? '' : ` (n ${n})`} | ${targets.map((t) => cell(row.find((x) => x.target === t))).join(' | ')} |`);
}
lines.push('', `| utility for benign users | metric (n) | ${targets.join(' | ')} |`, `|---|---|${targets.map(() => '---:').join('|')}|`);
for (const m of [...new Set(utility.map((u) => u.model))]) {
  const us = utility.filter((u) => u.model === m);
  const fmt = (e: { value: number; lo: number; hi: number } | undefined) =>
    e === undefined ? '–' : `${e.value.toFixed(3)} (${e.lo.toFixed(2)}–${e.hi.toFixed(2)})`;
  lines.push(`| ${m} | accuracy (n ${us[0]?.accuracy.n}) | ${targets.map((t) => fmt(us.find((u) => u.target === t)?.accuracy)).join(' | ')} |`);
}
const table = lines.join('\n');
const runtime = `\`pnpm robustness\` took ${minutes.toFixed(1)} min on ${process.platform === 'linux' ? 'the 2-core CI machine' : 'this machine'} (${new Date().toISOString().slice(0, 10)}).`;
if (!quick) {
  fillSections(join(root, 'docs/robustness.md'), { robustness: table, runtime });
}
writeFileSync(join(out, 'robustness-table.md'), `${table}\n`);
process.stdout.write(`${table}\n\n${runtime}\nwrote ${out}/robustness.{json,md,html}${quick ? '' : ' and docs/robustness.md'}\n`);
