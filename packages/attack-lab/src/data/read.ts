/**
 * A labelled dataset from a file, for attacking a model the lab has never seen: CSV with a header
 * (feature columns, and a `label` column holding class indices 0..k-1), or JSON Lines (one object
 * per row: `{"x": [..], "label": 1}`, or named features plus `label`). Problems name the line and
 * the column, never guess: a malformed row is an error, not a skipped row.
 */
import { readFileSync, statSync } from 'node:fs';
import { splitCsvLine } from '@bulwark/core';

export interface LabelledData {
  readonly features: readonly string[];
  readonly x: number[][];
  readonly y: number[];
  /** Number of classes: the largest label + 1. */
  readonly classes: number;
}

export class DataError extends Error {
  override readonly name = 'DataError';
}

const MAX_BYTES = 512 * 1024 * 1024;

function num(text: string, where: string): number {
  const t = text.trim();
  const v = t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(v)) throw new DataError(`${where}: not a finite number (${JSON.stringify(t.slice(0, 40))})`);
  return v;
}

function label(v: unknown, where: string): number {
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100_000)
    throw new DataError(`${where}: label must be a class index 0, 1, 2, … (received ${JSON.stringify(v)?.slice(0, 40)})`);
  return n;
}

export function readDataset(path: string): LabelledData {
  const size = statSync(path).size;
  if (size > MAX_BYTES) throw new DataError(`${path} is ${size} bytes (at most ${MAX_BYTES})`);
  const text = readFileSync(path, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2 && !/\.jsonl?$/i.test(path)) throw new DataError(`${path}: needs a header line and at least one row`);
  const x: number[][] = [];
  const y: number[] = [];
  let features: string[];
  if (/\.jsonl$|\.ndjson$/i.test(path)) {
    features = [];
    lines.forEach((line, i) => {
      const where = `${path}:${i + 1}`;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new DataError(`${where}: not JSON`);
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new DataError(`${where}: each line must be an object`);
      const r = row as Record<string, unknown>;
      if (!('label' in r)) throw new DataError(`${where}: no "label"`);
      let values: number[];
      if (Array.isArray(r.x)) {
        values = r.x.map((v, j) => num(String(v), `${where} x[${j}]`));
        if (features.length === 0) features = values.map((_, j) => `f${j}`);
      } else {
        if (features.length === 0) features = Object.keys(r).filter((k) => k !== 'label');
        values = features.map((f) => num(String(r[f] ?? ''), `${where} "${f}"`));
      }
      if (values.length !== features.length) throw new DataError(`${where}: ${values.length} features, the first row had ${features.length}`);
      x.push(values);
      y.push(label(r.label, where));
    });
  } else {
    const header = splitCsvLine(lines[0] as string).map((h) => h.trim());
    const labelAt = header.findIndex((h) => h.toLowerCase() === 'label');
    if (labelAt < 0) throw new DataError(`${path}: the header has no "label" column (received ${header.slice(0, 10).join(', ')})`);
    features = header.filter((_, j) => j !== labelAt);
    lines.slice(1).forEach((line, i) => {
      const where = `${path}:${i + 2}`;
      const cells = splitCsvLine(line);
      if (cells.length !== header.length) throw new DataError(`${where}: ${cells.length} columns, the header has ${header.length}`);
      x.push(cells.filter((_, j) => j !== labelAt).map((c, j) => num(c, `${where} "${features[j]}"`)));
      y.push(label(cells[labelAt], where));
    });
  }
  if (x.length === 0) throw new DataError(`${path}: no rows`);
  return { features, x, y, classes: Math.max(...y) + 1 };
}
