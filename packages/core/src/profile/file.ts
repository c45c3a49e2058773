/**
 * Profiles from files, and profiles read back. `profileFile` streams a CSV (header row; a `label`
 * column is the label, every other column a feature) or JSON Lines file (`{"x": [...], "label": 0}`
 * or named features) of any size: it hashes the bytes it parses, so the provenance digest is that
 * of exactly the data profiled. A malformed row is an error naming its line and column, never a
 * skipped row: a profile that silently dropped rows would calibrate on data nobody chose.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, type ConfigIssueInput } from '../errors.js';
import { CALIBRATED_FPRS, type DataProfile, PROFILE_FORMAT, ProfileBuilder, ProfileError, type ProfileOptions } from './profile.js';
import { classIndex, readTable, TableError } from './table.js';

export interface ProfileFileOptions extends ProfileOptions {
  /** The label column (default `label` when there is one). */
  readonly labelColumn?: string;
  /** Called as bytes are read: a progress bar. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Written into the provenance (default `@bulwark/core`). */
  readonly tool?: string;
}

/** Streams a CSV or JSON Lines file into a profile. Throws ProfileError naming the line on malformed data. */
export async function profileFile(path: string, options: ProfileFileOptions = {}): Promise<DataProfile> {
  let builder: ProfileBuilder | undefined;
  let labelAt = -1;
  let featureAt: number[] = [];
  let names: string[] = [];
  const want = options.labelColumn;
  let digest: Awaited<ReturnType<typeof readTable>>;
  try {
    digest = await readTable(path, {
      onColumns(columns) {
        labelAt = columns.indexOf(want ?? 'label');
        if (want !== undefined && labelAt < 0) throw new ProfileError(`the header has no column "${want}"`);
        featureAt = columns.flatMap((_, i) => (i === labelAt ? [] : [i]));
        names = featureAt.map((i) => columns[i] as string);
        builder = new ProfileBuilder(names, options);
      },
      onRow(cells, line) {
        const row = featureAt.map((i, j) => finite(cells[i], line, names[j] as string));
        const label = labelAt >= 0 ? cells[labelAt] : undefined;
        (builder as ProfileBuilder).add(row, label === undefined ? undefined : labelOf(label, line));
      },
      onProgress: options.onProgress,
    });
  } catch (err) {
    if (err instanceof TableError) throw new ProfileError(err.message);
    throw err;
  }
  if (!builder) throw new ProfileError('the file holds no rows');
  return builder.finish({
    source: digest.source,
    sha256: digest.sha256,
    bytes: digest.bytes,
    labelColumn: labelAt >= 0 ? (want ?? 'label') : null,
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
  const n = classIndex(v);
  if (n === undefined) throw new ProfileError(`line ${line}: the label must be a class index 0, 1, 2, …`);
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
      const h = f?.histogram;
      if (h !== undefined) {
        const edges = h?.edges;
        const ps = h?.proportions;
        const ok =
          Array.isArray(edges) &&
          Array.isArray(ps) &&
          ps.length === edges.length + 1 &&
          edges.every((e, i) => Number.isFinite(e) && (i === 0 || e > (edges[i - 1] as number))) &&
          ps.every((x) => typeof x === 'number' && x >= 0 && x <= 1) &&
          Math.abs(ps.reduce((a, b) => a + b, 0) - 1) < 1e-6;
        if (!ok) bad(`features[${j}].histogram`, 'must be ascending finite edges and one more proportions summing to 1');
      }
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
