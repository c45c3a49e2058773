/** Minimal SVG line charts for self-contained reports (no scripts, no external assets). */

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

export function lineChart(o: { title: string; x: string; y: string; series: readonly Series[]; logX?: boolean; yMax?: number; yMin?: number }): string {
  const W = 560;
  const H = 300 + Math.ceil(o.series.length / 3) * 16;
  const legendRows = Math.ceil(o.series.length / 3);
  const m = { l: 56, r: 16, t: 32, b: 52 + legendRows * 16 };
  const all = o.series.flatMap((s) => s.points);
  const tx = (v: number) => (o.logX ? Math.log10(Math.max(v, 1)) : v);
  const xs = all.map((p) => tx(p[0]));
  const x0 = o.logX ? Math.min(...xs) : Math.min(0, ...xs);
  const x1 = Math.max(...xs, x0 + 1e-9);
  const y0 = o.yMin ?? 0;
  const y1 = o.yMax ?? Math.max(...all.map((p) => p[1]), 1e-9);
  const sx = (v: number) => m.l + ((tx(v) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (v: number) => H - m.b - ((v - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`,
  );
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold" font-size="14">${esc(o.title)}</text>`);
  parts.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    parts.push(
      `<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="11">${num(v)}</text><line x1="${m.l}" x2="${W - m.r}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`,
    );
    const xv = x0 + ((x1 - x0) * i) / 4;
    const label = o.logX ? num(10 ** xv) : num(xv);
    const px = m.l + ((xv - x0) / (x1 - x0)) * (W - m.l - m.r);
    parts.push(`<text x="${px}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${label}</text>`);
  }
  parts.push(`<text x="${(W + m.l) / 2}" y="${H - m.b + 34}" text-anchor="middle" font-size="12">${esc(o.x)}</text>`);
  parts.push(`<text transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.y)}</text>`);
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
    if (s.points.length > 0) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    for (const p of s.points.length <= 30 ? s.points : [])
      parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = H - m.b + 52 + Math.floor(i / 3) * 16;
    const lx = m.l + (i % 3) * 165;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** A bar chart of one value per category (e.g. benign accuracy per target). */
export function barChart(o: { title: string; y: string; bars: readonly { name: string; value: number }[]; yMax?: number }): string {
  const W = 560;
  const H = 300;
  const m = { l: 56, r: 16, t: 32, b: 48 };
  const y1 = o.yMax ?? Math.max(...o.bars.map((b) => b.value), 1e-9);
  const bw = (W - m.l - m.r) / Math.max(1, o.bars.length);
  const sy = (v: number) => H - m.b - (v / y1) * (H - m.t - m.b);
  const parts = [
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`,
  ];
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold" font-size="14">${esc(o.title)}</text>`);
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
  parts.push(`<text transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.y)}</text></svg>`);
  return parts.join('');
}
