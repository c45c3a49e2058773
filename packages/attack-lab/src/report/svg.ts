/**
 * Minimal SVG charts for self-contained reports (no scripts, no external assets). Every chart has
 * a title and labelled axes (classes `title`, `axis-label x`, `axis-label y`, which the report
 * test checks); series may carry 95% intervals (whiskers); reference lines mark baselines and
 * budgets; series with identical points are drawn once and labelled together, not hidden.
 */

export interface Series {
  readonly name: string;
  /** [x, y] or [x, y, lo, hi] (a 95% interval for y). */
  readonly points: readonly (readonly [number, number] | readonly [number, number, number, number])[];
  readonly dashed?: boolean;
}

export interface ReferenceLine {
  readonly axis: 'x' | 'y';
  readonly value: number;
  readonly label: string;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** A title in at most two lines of ~64 characters (a 560-pixel chart), split at a space. */
function titleLines(title: string, max = 64): string[] {
  if (title.length <= max) return [title];
  const cut = title.lastIndexOf(' ', max);
  const at = cut > 20 ? cut : max;
  const rest = title.slice(at).trim();
  return [title.slice(0, at), rest.length > max ? `${rest.slice(0, max - 1)}…` : rest];
}

function titleSvg(title: string, W: number): string {
  return titleLines(title)
    .map((line, i) => `<text class="title" x="${W / 2}" y="${18 + i * 17}" text-anchor="middle" font-weight="bold" font-size="14">${esc(line)}</text>`)
    .join('');
}

/** Tick positions (in transformed units): powers of ten on a log axis that spans a decade, else quarters. */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log && hi - lo >= 1) {
    const out: number[] = [];
    for (let e = Math.ceil(lo - 1e-9); e <= Math.floor(hi + 1e-9); e++) out.push(e);
    return out;
  }
  return [0, 1, 2, 3, 4].map((i) => lo + ((hi - lo) * i) / 4);
}

/** Series whose points are identical become one, named "a = b". */
export function mergeIdentical(series: readonly Series[]): Series[] {
  const out: Series[] = [];
  for (const s of series) {
    const key = JSON.stringify(s.points);
    const same = out.findIndex((o) => JSON.stringify(o.points) === key && o.dashed === s.dashed);
    if (same >= 0) out[same] = { ...(out[same] as Series), name: `${(out[same] as Series).name} = ${s.name}` };
    else out.push(s);
  }
  return out;
}

export function lineChart(o: {
  title: string;
  x: string;
  y: string;
  series: readonly Series[];
  logX?: boolean;
  logY?: boolean;
  yMax?: number;
  yMin?: number;
  xMin?: number;
  xMax?: number;
  lines?: readonly ReferenceLine[];
}): string {
  const series = mergeIdentical(o.series);
  const W = 560;
  const perRow = series.every((x) => x.name.length <= 38) ? 2 : 1;
  const legendRows = Math.ceil(series.length / perRow);
  const titleRows = titleLines(o.title).length;
  const H = 300 + legendRows * 16 + (titleRows - 1) * 17;
  const m = { l: 64, r: 16, t: 32 + (titleRows - 1) * 17, b: 52 + legendRows * 16 };
  const all = series.flatMap((s) => s.points);
  const floor = 1e-4;
  const tx = (v: number) => (o.logX ? Math.log10(Math.max(v, o.xMin ?? floor)) : v);
  const ty = (v: number) => (o.logY ? Math.log10(Math.max(v, o.yMin ?? floor)) : v);
  const xs = all.map((p) => tx(p[0]));
  const x0 = o.xMin !== undefined ? tx(o.xMin) : o.logX ? Math.min(...xs) : Math.min(0, ...xs);
  const x1 = o.xMax !== undefined ? tx(o.xMax) : Math.max(...xs, x0 + 1e-9);
  const y0 = ty(o.yMin ?? 0);
  const y1 = ty(o.yMax ?? Math.max(...all.map((p) => p[1]), 1e-9));
  const sx = (v: number) => m.l + ((Math.min(Math.max(tx(v), x0), x1) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (v: number) => H - m.b - ((Math.min(Math.max(ty(v), y0), y1) - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`,
  );
  parts.push(titleSvg(o.title, W));
  parts.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
  );
  for (const yv of ticks(y0, y1, o.logY === true)) {
    const py = H - m.b - ((yv - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
    parts.push(
      `<text x="${m.l - 6}" y="${py + 4}" text-anchor="end" font-size="11">${o.logY ? num(10 ** yv) : num(yv)}</text><line x1="${m.l}" x2="${W - m.r}" y1="${py}" y2="${py}" stroke="#eee"/>`,
    );
  }
  for (const xv of ticks(x0, x1, o.logX === true)) {
    const px = m.l + ((xv - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
    parts.push(`<text x="${px}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${o.logX ? num(10 ** xv) : num(xv)}</text>`);
  }
  parts.push(`<text class="axis-label x" x="${(W + m.l) / 2}" y="${H - m.b + 34}" text-anchor="middle" font-size="12">${esc(o.x)}</text>`);
  parts.push(`<text class="axis-label y" transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.y)}</text>`);
  for (const line of o.lines ?? []) {
    if (line.axis === 'y') {
      const py = sy(line.value);
      parts.push(
        `<line x1="${m.l}" x2="${W - m.r}" y1="${py}" y2="${py}" stroke="#555" stroke-dasharray="2 3"/><text x="${W - m.r - 4}" y="${py - 4}" text-anchor="end" font-size="10" fill="#555">${esc(line.label)}</text>`,
      );
    } else {
      const px = sx(line.value);
      parts.push(
        `<line x1="${px}" x2="${px}" y1="${m.t}" y2="${H - m.b}" stroke="#555" stroke-dasharray="2 3"/><text x="${px + 4}" y="${m.t + 12}" font-size="10" fill="#555">${esc(line.label)}</text>`,
      );
    }
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
    if (s.points.length > 0) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    for (const p of s.points.length <= 30 ? s.points : []) {
      parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
      if (p.length === 4) {
        const px = sx(p[0]).toFixed(1);
        parts.push(
          `<line class="interval" x1="${px}" x2="${px}" y1="${sy(p[2]).toFixed(1)}" y2="${sy(p[3]).toFixed(1)}" stroke="${color}" stroke-width="1.5"/>`,
        );
      }
    }
    const ly = H - m.b + 52 + Math.floor(i / perRow) * 16;
    const lx = m.l + (i % perRow) * 245;
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/><text class="legend" x="${lx + 14}" y="${ly}" font-size="11">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** A bar chart of one value per category (e.g. benign accuracy per target). */
export function barChart(o: { title: string; x?: string; y: string; bars: readonly { name: string; value: number }[]; yMax?: number }): string {
  const W = 560;
  const H = 300;
  const m = { l: 56, r: 16, t: 32 + (titleLines(o.title).length - 1) * 17, b: 48 };
  const y1 = o.yMax ?? Math.max(...o.bars.map((b) => b.value), 1e-9);
  const bw = (W - m.l - m.r) / Math.max(1, o.bars.length);
  const sy = (v: number) => H - m.b - (v / y1) * (H - m.t - m.b);
  const parts = [
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`,
  ];
  parts.push(titleSvg(o.title, W));
  for (let i = 0; i <= 4; i++) {
    const v = (y1 * i) / 4;
    parts.push(
      `<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="11">${num(v)}</text><line x1="${m.l}" x2="${W - m.r}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`,
    );
  }
  o.bars.forEach((b, i) => {
    const x = m.l + i * bw + bw * 0.15;
    parts.push(
      `<path d="M${x.toFixed(1)},${sy(0).toFixed(1)} V${sy(b.value).toFixed(1)} H${(x + bw * 0.7).toFixed(1)} V${sy(0).toFixed(1)} Z" fill="${COLORS[i % COLORS.length]}"/>`,
    );
    parts.push(`<text x="${(x + bw * 0.35).toFixed(1)}" y="${(sy(b.value) - 4).toFixed(1)}" text-anchor="middle" font-size="11">${b.value.toFixed(3)}</text>`);
    parts.push(`<text x="${(x + bw * 0.35).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${esc(b.name)}</text>`);
  });
  parts.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
  );
  parts.push(`<text class="axis-label x" x="${(W + m.l) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(o.x ?? 'target')}</text>`);
  parts.push(
    `<text class="axis-label y" transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.y)}</text></svg>`,
  );
  return parts.join('');
}
