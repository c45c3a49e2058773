/**
 * `pnpm robustness`: every attack against every shipped policy, full budgets, fixed seed; writes
 * the attack × policy table to docs/robustness.md (between the generated markers) and the full
 * reports to docs/reports/. Takes a few minutes; the test suite runs a short version.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AttackRun, headline, type Report, toHtml, toMarkdown } from '@bulwark/attack-lab';
import { type AttackKind, runAttacks } from '../packages/cli/src/attack/run.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const policies = ['rounded', 'top-1', 'label-only', 'budget'].map((p) => `${root}policies/${p}.yaml`);
const targets = ['unguarded', 'rounded', 'top-1', 'label-only', 'budget'];
const plans: { attack: AttackKind; model: 'fraud' | 'digits' | 'leaky' }[] = [
  { attack: 'extraction', model: 'fraud' },
  { attack: 'extraction', model: 'digits' },
  { attack: 'membership', model: 'leaky' },
  { attack: 'membership', model: 'fraud' },
  { attack: 'evasion', model: 'fraud' },
];
const runs: AttackRun[] = [];
const utility: Report['utility'][number][] = [];
for (const p of plans) {
  process.stdout.write(`${p.attack} on ${p.model}…\n`);
  const { report } = await runAttacks({ attacks: [p.attack], models: { [p.attack]: p.model }, policies, seed: 1, progress: false });
  runs.push(...report.runs);
  for (const u of report.utility) if (!utility.some((x) => x.model === u.model && x.target === u.target)) utility.push(u);
}
const report: Report = { title: 'Bulwark robustness: attacks × output policies on the shipped models', seed: 1, runs, utility, gates: [] };
mkdirSync(`${root}docs/reports`, { recursive: true });
writeFileSync(`${root}docs/reports/robustness.json`, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${root}docs/reports/robustness.md`, toMarkdown(report));
writeFileSync(`${root}docs/reports/robustness.html`, toHtml(report));

// The summary table: one row per attack, one column per policy, the headline figure in each cell.
const rowKey = (r: AttackRun) => {
  const res = r.result;
  const what =
    res.attack === 'extraction'
      ? 'extraction, fidelity after 10,000 queries (or where refused)'
      : res.attack === 'membership'
        ? 'membership, best advantage'
        : `evasion (${res.method}), success at ε=${res.epsilon}σ (score run first, same key)`;
  return `${r.model}: ${what}`;
};
const rows = [...new Set(runs.map(rowKey))];
const lines = [`| attack (headline metric) | ${targets.join(' | ')} |`, `|---|${targets.map(() => '---:').join('|')}|`];
for (const key of rows) {
  const cells = targets.map((t) => {
    const r = runs.find((x) => rowKey(x) === key && x.target === t);
    return r === undefined ? '–' : headline(r.result)[1].toFixed(3);
  });
  lines.push(`| ${key} | ${cells.join(' | ')} |`);
}
lines.push('', `| utility for benign users (accuracy on held-out rows) | ${targets.join(' | ')} |`, `|---|${targets.map(() => '---:').join('|')}|`);
for (const m of [...new Set(utility.map((u) => u.model))]) {
  lines.push(`| ${m} | ${targets.map((t) => utility.find((u) => u.model === m && u.target === t)?.accuracy.toFixed(3) ?? '–').join(' | ')} |`);
}
const mdPath = `${root}docs/robustness.md`;
const md = readFileSync(mdPath, 'utf8').replace(
  /<!-- robustness -->[\s\S]*?<!-- \/robustness -->/,
  `<!-- robustness -->\n${lines.join('\n')}\n<!-- /robustness -->`,
);
writeFileSync(mdPath, md);
process.stdout.write(`${lines.join('\n')}\n\nwrote ${mdPath} and docs/reports/robustness.{json,md,html}\n`);
