/**
 * The report as one self-contained HTML file: the Markdown tables rendered as HTML, and SVG plots
 * of attack success against queries (guarded vs unguarded), ROC curves, and utility. No external
 * assets, no network. A short inline script marks each plot once the browser has laid it out
 * (`data-rendered`), which the headless-browser test reads back.
 */

import { toMarkdown } from './markdown.js';
import { describeRun, type Report } from './report.js';
import { barChart, lineChart, type Series } from './svg.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Renders the Markdown tables of `toMarkdown` as HTML tables (the only Markdown it emits). */
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
    } else if (line.trim() !== '') out.push(`<p>${esc(line).replace(/`(.+?)`/g, '<code>$1</code>')}</p>`);
  }
  return out.join('\n');
}

export function toHtml(report: Report): string {
  const plots: string[] = [];
  const byModel = (attack: string) => [...new Set(report.runs.filter((r) => r.result.attack === attack).map((r) => r.model))];

  for (const model of byModel('extraction')) {
    const series: Series[] = report.runs
      .filter((r) => r.model === model && r.result.attack === 'extraction')
      .map((r) => ({ name: r.target, points: r.result.attack === 'extraction' ? r.result.points.map((p) => [p.queries, p.fidelity] as const) : [] }));
    plots.push(
      lineChart({ title: `Extraction of ${model}: surrogate fidelity`, x: 'queries (log scale)', y: 'fidelity', series, logX: true, yMin: 0, yMax: 1 }),
    );
  }
  for (const model of byModel('membership')) {
    const series: Series[] = report.runs
      .filter((r) => r.model === model && r.result.attack === 'membership')
      .map((r) => {
        const res = r.result;
        const best = res.attack === 'membership' ? res.attacks[res.best.name as 'confidence'] : undefined;
        return { name: `${r.target} (${res.attack === 'membership' ? res.best.name : ''})`, points: best?.roc.map((p) => [p.fpr, p.tpr] as const) ?? [] };
      });
    series.push({
      name: 'chance',
      points: [
        [0, 0],
        [1, 1],
      ],
      dashed: true,
    });
    plots.push(lineChart({ title: `Membership inference on ${model}: ROC`, x: 'false positive rate', y: 'true positive rate', series, yMin: 0, yMax: 1 }));
  }
  for (const model of byModel('evasion')) {
    const runs = report.runs.filter((r) => r.model === model && r.result.attack === 'evasion');
    const maxQ = Math.max(1, ...runs.flatMap((r) => (r.result.attack === 'evasion' ? r.result.curve.map((c) => c[0]) : [])));
    const series: Series[] = runs.map((r) => {
      const c = r.result.attack === 'evasion' ? r.result.curve : [];
      const pts: [number, number][] = [[1, 0], ...c.map((p) => [p[0], p[1]] as [number, number])];
      const last = pts[pts.length - 1] as [number, number];
      pts.push([maxQ, last[1]]);
      return { name: `${r.target}, ${r.result.attack === 'evasion' ? r.result.method : ''}`, points: pts };
    });
    plots.push(
      lineChart({
        title: `Evasion of ${model}: success against queries per sample`,
        x: 'queries per sample (log scale)',
        y: 'success rate',
        series,
        logX: true,
        yMin: 0,
        yMax: 1,
      }),
    );
  }
  if (report.utility.length > 0) {
    const models = [...new Set(report.utility.map((u) => u.model))];
    for (const model of models) {
      const bars = report.utility.filter((u) => u.model === model).map((u) => ({ name: u.target, value: u.accuracy }));
      plots.push(barChart({ title: `Utility on ${model}: benign accuracy by target`, y: 'accuracy', bars, yMax: 1 }));
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
<section class="plots">${plots.join('\n')}</section>
${tablesToHtml(toMarkdown(report))}
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
