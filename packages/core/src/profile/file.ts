/**
 * Profiles from files, and profiles read back. `profileFile` streams a CSV (header row; a `label`
 * column is the label, every other column a feature) or JSON Lines file (`{"x": [...], "label": 0}`
 * or named features) of any size: it hashes the bytes it parses, so the provenance digest is that
 * of exactly the data profiled. A malformed row is an error naming its line and column, never a
 * skipped row: a profile that silently dropped rows would calibrate on data nobody chose.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, type ConfigIssueInput } from '../errors.js';
import { splitCsvLine } from '../util/csv.js';
import { CALIBRATED_FPRS, type DataProfile, PROFILE_FORMAT, ProfileBuilder, ProfileError, type ProfileOptions } from './profile.js';

export interface ProfileFileOptions extends ProfileOptions {
  /** The label column (default `label` when there is one). */
  readonly labelColumn?: string;
  /** Called as bytes are read: a progress bar. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Written into the provenance (default `@bulwark/core`). */
  readonly tool?: string;
}

/** Longest line accepted (a wider row is almost certainly not tabular data). */
const MAX_LINE = 4 * 1024 * 1024;

/** Streams a CSV or JSON Lines file into a profile. Throws ProfileError naming the line on malformed data. */
export async function profileFile(path: string, options: ProfileFileOptions = {}): Promise<DataProfile> {
  const st = statSync(path);
  if (!st.isFile()) throw new ProfileError(`not a regular file: ${basename(path)}`);
  const hash = createHash('sha256');
  const jsonl = /\.(jsonl|ndjson)$/i.test(path);
  let builder: ProfileBuilder | undefined;
  let labelAt = -1;
  let names: string[] = [];
  let lineNo = 0;
  let bytes = 0;
  let pending = '';

  const onLine = (line: string): void => {
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') return;
    if (jsonl) {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        throw new ProfileError(`line ${lineNo}: not valid JSON`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ProfileError(`line ${lineNo}: each line must be a JSON object`);
      const o = obj as Record<string, unknown>;
      const labelKey = options.labelColumn ?? 'label';
      if (!builder) {
        names = Array.isArray(o.x) ? o.x.map((_, i) => `x${i}`) : Object.keys(o).filter((k) => k !== labelKey);
        builder = new ProfileBuilder(names, options);
      }
      const x = Array.isArray(o.x) ? o.x : names.map((k) => o[k]);
      const row = x.map((v, j) => finite(v, lineNo, names[j] ?? `x${j}`));
      builder.add(row, o[labelKey] === undefined ? undefined : labelOf(o[labelKey], lineNo));
      return;
    }
    const cells = splitCsvLine(line);
    if (!builder) {
      const header = cells.map((c) => c.trim());
      const want = options.labelColumn;
      labelAt = header.indexOf(want ?? 'label');
      if (want !== undefined && labelAt < 0) throw new ProfileError(`the header has no column "${want}"`);
      names = header.filter((_, i) => i !== labelAt);
      if (new Set(header).size !== header.length) throw new ProfileError('the header names a column twice');
      builder = new ProfileBuilder(names, options);
      return;
    }
    if (cells.length !== names.length + (labelAt >= 0 ? 1 : 0))
      throw new ProfileError(`line ${lineNo}: ${cells.length} columns, the header has ${names.length + (labelAt >= 0 ? 1 : 0)}`);
    const row: number[] = [];
    for (let i = 0; i < cells.length; i++) if (i !== labelAt) row.push(finite(cells[i], lineNo, names[row.length] as string));
    builder.add(row, labelAt >= 0 ? labelOf(cells[labelAt], lineNo) : undefined);
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
    if (pending.length > MAX_LINE) throw new ProfileError(`line ${lineNo + 1}: longer than ${MAX_LINE} characters`);
    options.onProgress?.(bytes, st.size);
  }
  if (pending !== '') onLine(pending);
  if (!builder) throw new ProfileError('the file holds no rows');
  return builder.finish({
    source: basename(path),
    sha256: hash.digest('hex'),
    bytes,
    labelColumn: labelAt >= 0 || jsonl ? (options.labelColumn ?? 'label') : null,
    createdAt: new Date().toISOString(),
    tool: options.tool ?? '@bulwark/core',
  });
}

function finite(v: unknown, line: number, column: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new ProfileError(`line ${line}, column "${column}": not a finite number`);
  return n;
}

function labelOf(v: unknown, line: number): number {
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new ProfileError(`line ${line}: the label must be a class index 0, 1, 2, …`);
  return n;
}

/**
 * Reads a profile written by `bulwark profile` (a path, or the parsed object), checking its
 * structure: a profile is configuration, and a malformed one is a ConfigError naming the field.
 */
export function loadProfile(source: string | unknown, subject = 'profile'): DataProfile {
  let v: unknown = source;
  if (typeof source === 'string') {
    try {
      v = JSON.parse(readFileSync(source, 'utf8'));
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new ConfigError(
        [
          {
            code: 'invalid_value',
            path: '',
            rule: code === 'ENOENT' ? 'the profile file must exist' : 'must be a JSON profile written by bulwark profile',
            received: basename(source),
          },
        ],
        subject,
      );
    }
  }
  const issues: ConfigIssueInput[] = [];
  const p = v as DataProfile;
  const bad = (path: string, rule: string, received = 'something else') => issues.push({ path, rule, received });
  if (typeof v !== 'object' || v === null || p.format !== PROFILE_FORMAT || p.version !== 1) bad('format', `must be ${PROFILE_FORMAT} version 1`);
  else {
    const d = Array.isArray(p.features) ? p.features.length : 0;
    if (d < 1) bad('features', 'must list at least one feature');
    const nums = (path: string, a: unknown, n: number) => {
      if (!Array.isArray(a) || a.length !== n || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(path, `must be ${n} finite numbers`);
    };
    p.features?.forEach((f, j) => {
      if (typeof f?.name !== 'string') bad(`features[${j}].name`, 'must be a string');
      for (const k of ['min', 'max', 'mean', 'sd', 'median', 'mad'] as const)
        if (typeof f?.[k] !== 'number' || !Number.isFinite(f[k])) bad(`features[${j}].${k}`, 'must be a finite number');
      if (f?.percentiles !== undefined && !(Array.isArray(f.percentiles) && f.percentiles.length === 99 && f.percentiles.every(Number.isFinite)))
        bad(`features[${j}].percentiles`, 'must be 99 finite numbers');
      if (f?.categories !== null && !(Array.isArray(f?.categories) && f.categories.every(Number.isFinite)))
        bad(`features[${j}].categories`, 'must be null or numbers');
    });
    const sc = p.scorer;
    nums('scorer.center', sc?.center, d);
    nums('scorer.mean', sc?.mean, d);
    nums('scorer.spread', sc?.spread, d);
    nums('scorer.scale', sc?.scale, d);
    if (!Array.isArray(sc?.precision) || sc.precision.length !== d) bad('scorer.precision', `must be ${d} × ${d}`);
    else for (let i = 0; i < d; i++) nums(`scorer.precision[${i}]`, sc.precision[i], d);
    if (sc && [...(sc.spread ?? []), ...(sc.scale ?? [])].some((x) => !(x > 0))) bad('scorer.spread', 'spreads and scales must be > 0');
    for (const s of ['robust-z', 'mahalanobis'] as const)
      for (const f of CALIBRATED_FPRS) {
        const t = p.calibration?.thresholds?.[s]?.[f];
        if (t !== null && !(typeof t === 'number' && t >= 0)) bad(`calibration.thresholds.${s}.${f}`, 'must be a number >= 0 or null');
      }
  }
  if (issues.length > 0) throw new ConfigError(issues, subject);
  return p;
}
