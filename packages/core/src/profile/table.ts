/**
 * Tabular data files read as a stream: CSV with a header row, or JSON Lines (`{"x": [...],
 * "label": 0}` or one key per column). Shared by `profileFile` and the data checks of
 * `@bulwark/data`, so both read a file the same way. The bytes parsed are hashed as they are read:
 * the digest is that of exactly the data seen. Cells are handed over raw (strings for CSV, JSON
 * values for JSON Lines): what counts as missing or malformed is the reader's caller's decision.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { splitCsvLine } from '../util/csv.js';

export class TableError extends Error {
  override readonly name = 'TableError';
}

export interface TableHandlers {
  /** The column names, once, before any row (CSV: the header; JSON Lines: from the first object). */
  onColumns(columns: readonly string[]): void;
  /** One row, its cells aligned with the columns (`undefined` where a JSON object lacks a key). */
  onRow(cells: readonly unknown[], line: number): void;
  /** Called as bytes are read: a progress bar. */
  onProgress?: ((bytesRead: number, totalBytes: number) => void) | undefined;
}

export interface TableDigest {
  readonly sha256: string;
  readonly bytes: number;
  /** The file's name (not its path: paths leak user names and folders). */
  readonly source: string;
}

/** Longest line accepted (a wider row is almost certainly not tabular data). */
const MAX_LINE = 4 * 1024 * 1024;

/** A label cell as a class index 0, 1, 2, … (a number or its text), or undefined; an empty cell is no label. */
export function classIndex(raw: unknown): number | undefined {
  const n = typeof raw === 'string' ? (raw.trim() === '' ? Number.NaN : Number(raw.trim())) : raw;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** True for `.jsonl` and `.ndjson` files; anything else is read as CSV. */
export const isJsonLines = (path: string): boolean => /\.(jsonl|ndjson)$/i.test(path);

/** Streams a CSV or JSON Lines file through `handlers`. Throws TableError naming the line on a malformed one. */
export async function readTable(path: string, handlers: TableHandlers): Promise<TableDigest> {
  const st = statSync(path);
  if (!st.isFile()) throw new TableError(`not a regular file: ${basename(path)}`);
  const hash = createHash('sha256');
  const jsonl = isJsonLines(path);
  let columns: string[] | undefined;
  /** JSON Lines in the `{"x": [...]}` form: the width of x. */
  let xWidth = -1;
  let lineNo = 0;
  let bytes = 0;
  let pending = '';

  const onLine = (line: string): void => {
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') return;
    if (!jsonl) {
      const cells = splitCsvLine(line);
      if (columns === undefined) {
        columns = cells.map((c) => c.trim());
        if (new Set(columns).size !== columns.length) throw new TableError('the header names a column twice');
        handlers.onColumns(columns);
        return;
      }
      if (cells.length !== columns.length) throw new TableError(`line ${lineNo}: ${cells.length} columns, the header has ${columns.length}`);
      handlers.onRow(cells, lineNo);
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new TableError(`line ${lineNo}: not valid JSON`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new TableError(`line ${lineNo}: each line must be a JSON object`);
    const o = obj as Record<string, unknown>;
    if (columns === undefined) {
      if (Array.isArray(o.x)) {
        xWidth = o.x.length;
        columns = [...o.x.map((_, i) => `x${i}`), ...Object.keys(o).filter((k) => k !== 'x')];
      } else columns = Object.keys(o);
      handlers.onColumns(columns);
    }
    if (xWidth >= 0) {
      if (!Array.isArray(o.x) || o.x.length !== xWidth) throw new TableError(`line ${lineNo}: "x" must be an array of ${xWidth} values`);
      const cells: unknown[] = [...o.x];
      for (let i = xWidth; i < columns.length; i++) cells.push(o[columns[i] as string]);
      handlers.onRow(cells, lineNo);
    } else
      handlers.onRow(
        columns.map((k) => (Object.hasOwn(o, k) ? o[k] : undefined)),
        lineNo,
      );
  };

  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    const text = pending + chunk.toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    pending = text.slice(start);
    if (pending.length > MAX_LINE) throw new TableError(`line ${lineNo + 1}: longer than ${MAX_LINE} characters`);
    handlers.onProgress?.(bytes, st.size);
  }
  if (pending !== '') onLine(pending);
  if (columns === undefined) throw new TableError('the file holds no rows');
  return { sha256: hash.digest('hex'), bytes, source: basename(path) };
}
