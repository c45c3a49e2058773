/**
 * The report as one self-contained HTML file: the Markdown tables rendered as HTML, and SVG plots
 * of attack success against queries (guarded vs unguarded), ROC curves, and utility. No external
 * assets, no network. A short inline script marks each plot once the browser has laid it out
 * (`data-rendered`), which the headless-browser test reads back.
 */

import type { AveragingResult } from '../attacks/averaging.js';
import type { EvasionResult } from '../attacks/evasion.js';
import type { ExtractionResult } from '../attacks/extraction.js';
import type { LabelOnlyResult } from '../attacks/label-only.js';
import type { LiraResult } from '../attacks/lira.js';
import type { MembershipResult } from '../attacks/membership.js';
import type { MembershipScore } from '../attacks/membership-score.js';
import type { TransferResult } from '../attacks/transfer.js';
import { toMarkdown } from './markdown.js';
import { type AttackRun, describeRun, type Report } from './report.js';
import { barChart, lineChart, type ReferenceLine, type Series } from './svg.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

const inline = (text: string) =>
  esc(text)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/`(.+?)`/g, '<code>$1</code>');

/** Renders what `toMarkdown` emits (headings, tables, lists, paragraphs) as HTML. */
function tablesToHtml(md: string): string {
  const out: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('# ')) out.push(`<h1>${esc(line.slice(2))}</h1>`);
    else if (line.startsWith('## ')) out.push(`<h2>${esc(line.slice(3))}</h2>`);
    else if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (i < lines.length && (lines[i] as string).startsWith('|')) {
        rows.push(
          (lines[i] as string)
            .slice(1, -1)
            .split('|')
            .map((c) => c.trim()),
        );
        i++;
      }
      i--;
      const [head = [], , ...body] = rows;
      const cell = (c: string) =>
        esc(c)
          .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
          .replace(/`(.+?)`/g, '<code>$1</code>');
      out.push(
        `<table><thead><tr>${head.map((h) => `<th>${cell(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
      );
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      while (i < lines.length && (lines[i] as string).startsWith('- ')) items.push(inline((lines[i++] as string).slice(2)));
      i--;
      out.push(`<ul class="verdicts">${items.map((x) => `<li>${x}</li>`).join('')}</ul>`);
    } else if (line.trim() !== '') out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('\n');
}

export function toHtml(report: Report): string {
  const plots: string[] = [];
  const groups = (attack: string) => {
    const keys = new Map<string, AttackRun[]>();
    for (const r of report.runs) {
      if (r.result.attack !== attack) continue;
      const k = `${r.model}${r.variant ? ` [${r.variant}]` : ''}${r.result.attack === 'evasion' ? ` ${r.result.method}` : ''}`;
      keys.set(k, [...(keys.get(k) ?? []), r]);
    }
    return [...keys.entries()];
  };

  for (const [name, runs] of groups('extraction')) {
    let baseline = 1;
    let low = 1;
    const series: Series[] = runs.map((r) => {
      const res = r.result as ExtractionResult;
      baseline = Math.min(baseline, res.baseline.value);
      const pts = res.points
        .filter((p) => p.fidelity !== undefined)
        .map((p) => [p.queries, p.fidelity?.value ?? 0, p.fidelity?.lo ?? 0, p.fidelity?.hi ?? 0] as const);
      for (const p of pts) low = Math.min(low, p[2]);
      return { name: pts.length === 0 ? `${r.target} (not measured)` : r.target, points: pts };
    });
    const yMin = Math.max(0, Math.floor((Math.min(baseline, low) - 0.05) * 20) / 20);
    plots.push(
      lineChart({
        title: `Extraction of ${name}: surrogate fidelity (95% intervals)`,
        x: 'queries sent (log scale)',
        y: 'fidelity (agreement with the target)',
        series,
        logX: true,
        yMin,
        yMax: 1,
        lines: [{ axis: 'y', value: baseline, label: `constant clone (majority class) ${baseline.toFixed(3)}` }],
      }),
    );
  }
  const rocChart = (title: string, runs: AttackRun[], pick: (r: AttackRun) => MembershipScore | undefined, label: (r: AttackRun) => string) => {
    const scores = runs.map((r) => ({ r, s: pick(r) }));
    const resolution = Math.min(...scores.map((x) => x.s?.fprResolution ?? 1), 1);
    const series: Series[] = scores.map(({ r, s }) => ({
      name: s === undefined ? `${label(r)} (not measured)` : `${label(r)}: TPR@1%FPR ${s.tprAt1PctFpr.value.toFixed(3)}`,
      points: (s?.roc ?? []).filter((p) => p.fpr > 0).map((p) => [p.fpr, Math.max(p.tpr, 1e-3)] as const),
    }));
    series.push({
      name: 'chance',
      points: [
        [resolution, resolution],
        [1, 1],
      ],
      dashed: true,
    });
    plots.push(
      lineChart({
        title,
        x: 'false positive rate (log scale)',
        y: 'true positive rate (log scale)',
        series,
        logX: true,
        logY: true,
        xMin: resolution,
        xMax: 1,
        yMin: 1e-3,
        yMax: 1,
        lines: [{ axis: 'x', value: 0.01, label: '1% FPR' }],
      }),
    );
  };
  for (const [name, runs] of groups('membership'))
    rocChart(
      `Membership on ${name}: ROC of the best global-threshold score`,
      runs,
      (r) => (r.result as MembershipResult).best?.score,
      (r) => `${r.target} (${(r.result as MembershipResult).best?.name ?? '–'})`,
    );
  for (const [name, runs] of groups('lira'))
    rocChart(
      `LiRA on ${name}: ROC, log-log`,
      runs,
      (r) => (r.result as LiraResult).score,
      (r) => r.target,
    );
  for (const [name, runs] of groups('label-only'))
    rocChart(
      `Label-only membership on ${name}: ROC, log-log`,
      runs,
      (r) => (r.result as LabelOnlyResult).score,
      (r) => r.target,
    );

  for (const [name, runs] of groups('evasion')) {
    const lines: ReferenceLine[] = [];
    const series: Series[] = runs.map((r) => {
      const res = r.result as EvasionResult;
      if (res.stats.gaveUp) lines.push({ axis: 'x', value: Math.max(1, res.stats.rowsSent), label: `${r.target}: refused from here` });
      return { name: res.inconclusive ? `${r.target} (not measured)` : r.target, points: [[1, 0] as const, ...res.progressCurve.filter((p) => p[0] > 0)] };
    });
    plots.push(
      lineChart({
        title: `Evasion of ${name}: successes per wanted row against queries sent`,
        x: 'rows sent to the target (log scale)',
        y: 'share of wanted rows evaded',
        series,
        logX: true,
        yMin: 0,
        yMax: 1,
        lines,
      }),
    );
  }
  for (const [name, runs] of groups('transfer')) {
    const bars = runs.map((r) => ({ name: r.target, value: (r.result as TransferResult).transferRate?.value ?? 0 }));
    plots.push(barChart({ title: `Transfer evasion of ${name}: share transferred (0 attacker queries)`, x: 'target', y: 'transfer rate', bars, yMax: 1 }));
  }
  for (const [name, runs] of groups('averaging')) {
    const series: Series[] = runs.map((r) => ({
      name: r.target,
      points: (r.result as AveragingResult).points.map((p) => [p.repeats, p.error.value, p.error.lo, p.error.hi] as const),
    }));
    plots.push(
      lineChart({
        title: `Averaging attack on ${name}: error of averaged scores`,
        x: 'repeats per row (log scale)',
        y: 'mean absolute error of scores',
        series,
        logX: true,
      }),
    );
  }
  if (report.utility.length > 0) {
    const models = [...new Set(report.utility.map((u) => u.model))];
    for (const model of models) {
      const bars = report.utility.filter((u) => u.model === model).map((u) => ({ name: u.target, value: u.accuracy.value }));
      plots.push(barChart({ title: `Utility on ${model}: benign accuracy by target`, x: 'target', y: 'accuracy', bars, yMax: 1 }));
    }
  }
  const summary = report.runs.map((r) => `${r.model}: ${describeRun(r.result)} vs ${r.target}`).join('; ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(report.title)}</title>
<meta name="description" content="${esc(summary)}">
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.plots{display:flex;flex-wrap:wrap;gap:1rem}svg.plot{border:1px solid #ddd;background:#fff}
</style></head><body>
${tablesToHtml(toMarkdown(report))}
<h2>Charts</h2>
<section class="plots">${plots.join('\n')}</section>
<script>
window.addEventListener('load', function () {
  var drawn = 0;
  document.querySelectorAll('svg.plot').forEach(function (s) { var b = s.getBBox(); if (b.width > 0 && b.height > 0 && s.querySelector('path')) drawn++; });
  document.body.setAttribute('data-rendered', String(drawn));
});
</script>
</body></html>
`;
}
