/**
 * A batch of data (new training data, or serving logs) checked against the profile of the data a
 * model was trained on: schema, types, missing values, ranges, per-feature drift, label shift,
 * duplicates and conflicting labels. One pass over a stream, in memory bounded by the profile's
 * size plus a capped index for the duplicate checks: files larger than memory are fine.
 *
 * Every test that can fire by chance on clean data is a significance test with a family-wise
 * false-alarm rate (`alpha`, Bonferroni over the tests run) *and*, for drift, an effect size
 * (PSI): a batch of a million rows makes any shift significant, and a shift too small to matter
 * is not a finding. Thresholds are options; the defaults are what the figures in docs/data.md
 * were measured at.
 *
 * Nothing here echoes cell contents into findings except numbers of a categorical feature (a new
 * category's value, up to five of them): a batch may hold personal data, and a report travels to
 * CI logs. Rows are named by line number.
 */
import { classIndex, type DataProfile, type FeatureProfile, readTable, TableError } from '@bulwark/core';
import type { Finding, Severity } from '@bulwark/supply-chain';
import { findLabelIssues, LabelIssueError } from '../label-issues/confident-learning.js';
import { chiSquareSurvival, groupBins, ksPValue, poissonAtLeast, psi } from '../stats.js';

export interface ValidateOptions {
  /** The batch's label column (default: the profile's, else `label`). */
  readonly labelColumn?: string | undefined;
  /** Family-wise false-alarm rate of the statistical checks on a clean batch (default 0.001). */
  readonly alpha?: number | undefined;
  /** PSI at which a significant shift is a medium finding, and a high one (default 0.1 and 0.25). */
  readonly psi?: { readonly medium: number; readonly high: number } | undefined;
  /** Groups the PSI is computed over (default 10, about a tenth of the reference mass each). */
  readonly psiBins?: number | undefined;
  /**
   * Columns holding each row's out-of-sample predicted probabilities, one per class in class
   * order: with them, label issues are ranked by confident learning (`findLabelIssues`).
   */
  readonly probabilityColumns?: readonly string[] | undefined;
  /** Rows indexed for the duplicate and conflicting-label checks, and kept for confident learning (default 1,000,000; ~100 bytes each). */
  readonly maxIndexedRows?: number | undefined;
  /** Called as bytes are read: a progress bar. */
  readonly onProgress?: ((bytesRead: number, totalBytes: number) => void) | undefined;
}

export interface FeatureCheck {
  readonly name: string;
  /** Cells that held a number. */
  readonly n: number;
  readonly missing: number;
  /** Cells that held something else than a number. */
  readonly invalid: number;
  readonly nonInteger: number;
  readonly newCategories: number;
  readonly belowMin: number;
  readonly aboveMax: number;
  /** Two-sample KS statistic against the profile (evaluated at the profile's bin edges: a lower bound). */
  readonly ks: number | null;
  readonly ksP: number | null;
  readonly psi: number | null;
}

export interface ValidationReport {
  readonly source: string;
  readonly sha256: string;
  readonly rows: number;
  readonly columns: readonly string[];
  readonly features: readonly FeatureCheck[];
  readonly labels: { readonly counts: Readonly<Record<string, number>>; readonly psi: number | null; readonly p: number | null } | null;
  readonly duplicates: { readonly indexedRows: number; readonly exact: number; readonly nearDuplicates: number };
  /** Line numbers of the rows in groups of near-identical rows with different labels (at most 100,000). */
  readonly conflictingLines: readonly number[];
  /** Confident learning, when probability columns were given: the estimate and the flagged rows' lines, most likely first (at most 100,000). */
  readonly labelIssues: { readonly rows: number; readonly estimatedErrors: number; readonly lines: readonly number[] } | null;
  readonly findings: readonly Finding[];
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

const MISSING_TEXT = new Set(['', 'na', 'nan', 'null', 'none', '?']);
const MAX_CONFLICT_LINES = 100_000;

interface Column {
  readonly profile: FeatureProfile;
  readonly at: number;
  n: number;
  missing: number;
  invalid: number;
  nonInteger: number;
  newCategories: number;
  readonly newValues: Set<number>;
  belowMin: number;
  aboveMax: number;
  /** Counts per profile histogram bin. */
  readonly counts: Float64Array | null;
  readonly categories: Set<number> | null;
  firstInvalidLine: number;
  firstMissingLine: number;
}

/** Validates a CSV or JSON Lines file against a profile. Throws ValidationError when the file cannot be read as a table. */
export async function validateFile(path: string, profile: DataProfile, options: ValidateOptions = {}): Promise<ValidationReport> {
  const v = new BatchValidator(profile, options);
  try {
    const digest = await readTable(path, {
      onColumns: (columns) => v.columns(columns),
      onRow: (cells, line) => v.row(cells, line),
      onProgress: options.onProgress,
    });
    return v.finish(digest.source, digest.sha256);
  } catch (err) {
    if (err instanceof TableError) throw new ValidationError(err.message);
    throw err;
  }
}

/** The streaming validator behind `validateFile`: columns once, rows, then `finish`. */
export class BatchValidator {
  readonly #profile: DataProfile;
  readonly #o: Required<Omit<ValidateOptions, 'labelColumn' | 'onProgress' | 'probabilityColumns'>>;
  readonly #probColumns: readonly string[];
  #probAt: number[] = [];
  readonly #probLabels: number[] = [];
  readonly #probRows: number[][] = [];
  readonly #probLines: number[] = [];
  #probSkipped = 0;
  readonly #labelColumn: string;
  #cols: Column[] = [];
  #header: readonly string[] = [];
  #labelAt = -1;
  #rows = 0;
  readonly #labels = new Map<number, number>();
  #invalidLabels = 0;
  // Duplicate and conflicting-label index: exact row hashes, and cells of near-identical rows.
  readonly #exact = new Set<number>();
  readonly #cells = new Map<number, number>();
  readonly #groups = new Map<number, number[]>();
  readonly #conflictCells = new Set<number>();
  #indexed = 0;
  // Per-row scratch (nothing keeps them past the row): the values, and each value's histogram bin
  // (computed once, used by the drift counts and the near-duplicate cell).
  #values = new Float64Array(0);
  #bins = new Float64Array(0);
  #exactDuplicates = 0;
  #nearDuplicates = 0;
  #firstDuplicateLine = 0;

  constructor(profile: DataProfile, options: ValidateOptions = {}) {
    this.#profile = profile;
    this.#labelColumn = options.labelColumn ?? profile.provenance.labelColumn ?? 'label';
    this.#o = {
      alpha: options.alpha ?? 0.001,
      psi: options.psi ?? { medium: 0.1, high: 0.25 },
      psiBins: options.psiBins ?? 10,
      maxIndexedRows: options.maxIndexedRows ?? 1_000_000,
    };
    if (!(this.#o.alpha > 0 && this.#o.alpha < 1)) throw new ValidationError('alpha must be in (0, 1)');
    this.#probColumns = options.probabilityColumns ?? [];
    if (this.#probColumns.length === 1) throw new ValidationError('probability columns: one per class, at least two');
  }

  columns(header: readonly string[]): void {
    this.#header = header;
    this.#labelAt = header.indexOf(this.#labelColumn);
    this.#probAt = this.#probColumns.map((name) => {
      const at = header.indexOf(name);
      if (at < 0) throw new ValidationError(`no probability column "${name}" in the header`);
      return at;
    });
    if (this.#probAt.length > 0 && this.#labelAt < 0) throw new ValidationError(`probability columns need the label column "${this.#labelColumn}"`);
    this.#cols = [];
    for (const f of this.#profile.features) {
      const at = header.indexOf(f.name);
      if (at < 0) continue;
      const h = f.histogram;
      this.#cols.push({
        profile: f,
        at,
        n: 0,
        missing: 0,
        invalid: 0,
        nonInteger: 0,
        newCategories: 0,
        newValues: new Set(),
        belowMin: 0,
        aboveMax: 0,
        counts: h ? new Float64Array(h.proportions.length) : null,
        categories: f.categories ? new Set(f.categories) : null,
        firstInvalidLine: 0,
        firstMissingLine: 0,
      });
    }
  }

  row(cells: readonly unknown[], line: number): void {
    this.#rows++;
    if (this.#values.length !== this.#cols.length) {
      this.#values = new Float64Array(this.#cols.length);
      this.#bins = new Float64Array(this.#cols.length);
    }
    const values = this.#values;
    const bins = this.#bins;
    let complete = true;
    for (let k = 0; k < this.#cols.length; k++) {
      const c = this.#cols[k] as Column;
      const raw = cells[c.at];
      const x = numberOf(raw);
      if (x === MISSING) {
        c.missing++;
        if (c.firstMissingLine === 0) c.firstMissingLine = line;
        complete = false;
        values[k] = Number.NaN;
        continue;
      }
      if (x === INVALID) {
        c.invalid++;
        if (c.firstInvalidLine === 0) c.firstInvalidLine = line;
        complete = false;
        values[k] = Number.NaN;
        continue;
      }
      const v = x as number;
      values[k] = v;
      c.n++;
      const f = c.profile;
      if (f.integer && !Number.isInteger(v)) c.nonInteger++;
      if (c.categories && !c.categories.has(v)) {
        c.newCategories++;
        if (c.newValues.size < 5) c.newValues.add(v);
      }
      if (v < f.min) c.belowMin++;
      else if (v > f.max) c.aboveMax++;
      if (c.counts && f.histogram) {
        const b = binOf(f.histogram.edges, v);
        bins[k] = b;
        (c.counts[b] as number)++;
      } else bins[k] = v;
    }
    let label: number | undefined;
    if (this.#labelAt >= 0) {
      label = labelOf(cells[this.#labelAt]);
      if (label === undefined) this.#invalidLabels++;
      else this.#labels.set(label, (this.#labels.get(label) ?? 0) + 1);
    }
    if (complete && this.#indexed < this.#o.maxIndexedRows) this.#index(values, bins, label, line);
    if (this.#probAt.length > 0) this.#keepProbabilities(cells, label, line);
  }

  /** A row's label and probabilities, kept for confident learning (rows with either unusable are counted, not kept). */
  #keepProbabilities(cells: readonly unknown[], label: number | undefined, line: number): void {
    const p = this.#probAt.map((at) => numberOf(cells[at]));
    if (label === undefined || label >= p.length || p.some((v) => typeof v !== 'number' || v < 0 || v > 1) || this.#probRows.length >= this.#o.maxIndexedRows) {
      this.#probSkipped++;
      return;
    }
    this.#probLabels.push(label);
    this.#probRows.push(p as number[]);
    this.#probLines.push(line);
  }

  /** Exact duplicates (same values and label) and near-identical rows (same profile bin in every feature). */
  #index(values: Float64Array, bins: Float64Array, label: number | undefined, line: number): void {
    this.#indexed++;
    const exact = hashValues(values, label ?? -1);
    if (this.#exact.has(exact)) {
      this.#exactDuplicates++;
      if (this.#firstDuplicateLine === 0) this.#firstDuplicateLine = line;
    } else this.#exact.add(exact);
    const cell = hashValues(bins, -2);
    const seen = this.#cells.get(cell);
    if (seen === undefined) {
      this.#cells.set(cell, line * 1024 + ((label ?? -1) + 1));
      return;
    }
    this.#nearDuplicates++;
    if (label === undefined) return;
    let group = this.#groups.get(cell);
    if (group === undefined) {
      group = [Math.floor(seen / 1024), (seen % 1024) - 1];
      this.#groups.set(cell, group);
    }
    group.push(line, label);
    // A row without a valid label (-1) conflicts with nothing.
    if (!this.#conflictCells.has(cell)) for (let i = 1; i < group.length; i += 2) if (group[i] !== label && group[i] !== -1) this.#conflictCells.add(cell);
  }

  finish(source: string, sha256: string): ValidationReport {
    const findings: Finding[] = [];
    const p = this.#profile;
    const add = (rule: string, severity: Severity, message: string, where?: string) =>
      findings.push({ rule: `data/${rule}`, severity, message, file: source, ...(where === undefined ? {} : { where }) });
    if (this.#rows === 0) add('empty', 'high', 'the file holds a header but no rows');

    // Schema.
    const known = new Set(p.features.map((f) => f.name));
    for (const f of p.features)
      if (!this.#header.includes(f.name)) add('missing-column', 'high', `the profile's feature "${f.name}" is not a column of the batch`, `column ${f.name}`);
    for (const h of this.#header)
      if (!known.has(h) && h !== this.#labelColumn && !this.#probColumns.includes(h))
        add('unknown-column', 'low', `column "${h}" is not a feature of the profile`, `column ${h}`);
    if (p.labels && this.#labelAt < 0) add('no-labels', 'info', `no label column "${this.#labelColumn}": label checks skipped`);

    // How many statistical tests share alpha: drift and range per feature present, new categories
    // per categorical feature, and the labels.
    const tests = 2 * this.#cols.length + this.#cols.filter((c) => c.categories !== null).length + (p.labels && this.#labelAt >= 0 ? 1 : 0);
    const alpha = this.#o.alpha / Math.max(1, tests);
    const refRows = p.sample.rows;
    const features: FeatureCheck[] = [];
    for (const c of this.#cols) {
      const f = c.profile;
      const where = `column ${f.name}`;
      const n = c.n;
      const rows = this.#rows;
      if (c.invalid > 0) add('not-a-number', 'high', `${c.invalid} cells of "${f.name}" are not numbers (first at line ${c.firstInvalidLine})`, where);
      if (c.missing > 0)
        add(
          'missing-values',
          c.missing > 0.05 * rows ? 'high' : 'medium',
          `${c.missing} of ${rows} rows have no value for "${f.name}" (first at line ${c.firstMissingLine}); the profiled data had none`,
          where,
        );
      if (c.nonInteger > 0) add('not-an-integer', 'medium', `${c.nonInteger} values of "${f.name}" are not integers; every profiled value was`, where);
      if (c.newCategories > 0) {
        // A rare category can be missing from the reference by chance: Good–Turing puts the
        // mass of unseen values at (values seen once)/N; (n₁ + 1)/(N + 1) keeps it above 0.
        const pNew = poissonAtLeast(c.newCategories, n * unseenMass(f, refRows));
        add(
          'new-category',
          pNew >= alpha ? 'info' : c.newCategories > 0.01 * rows ? 'high' : 'medium',
          `${c.newCategories} values of "${f.name}" are categories the profiled data never had (${[...c.newValues].join(', ')}${c.newValues.size >= 5 ? ', …' : ''}; p = ${fmtP(pNew)})`,
          where,
        );
      }
      // Out of range: in clean data, a new value exceeds the reference's min or max with
      // probability about 2/(N + 1) (N reference rows); a count far above that is a finding.
      const outside = c.belowMin + c.aboveMax;
      if (outside > 0 && n > 0) {
        const pOut = poissonAtLeast(outside, (n * 2) / (p.provenance.rows + 1));
        if (pOut < alpha)
          add(
            'out-of-range',
            outside > 0.01 * n ? 'high' : 'medium',
            `${outside} values of "${f.name}" lie outside the profiled range [${f.min}, ${f.max}] (${c.belowMin} below, ${c.aboveMax} above; p = ${fmtP(pOut)})`,
            where,
          );
      }
      // Drift: KS at the profile's bin edges (conservative: the statistic can only be larger
      // between edges) for significance, PSI over ~10 equal-mass groups for size.
      let ks: number | null = null;
      let ksP: number | null = null;
      let shift: number | null = null;
      const h = f.histogram;
      if (h && c.counts && n > 0) {
        let cumRef = 0;
        let cumObs = 0;
        ks = 0;
        for (let b = 0; b < h.edges.length; b++) {
          cumRef += h.proportions[b] as number;
          cumObs += (c.counts[b] as number) / n;
          ks = Math.max(ks, Math.abs(cumObs - cumRef));
        }
        ksP = ksPValue(ks, n, refRows);
        const group = groupBins(h.proportions, this.#o.psiBins);
        const groups = (group[group.length - 1] as number) + 1;
        const e = new Array<number>(groups).fill(0);
        const o = new Array<number>(groups).fill(0);
        for (let b = 0; b < group.length; b++) {
          (e[group[b] as number] as number) += h.proportions[b] as number;
          (o[group[b] as number] as number) += (c.counts[b] as number) / n;
        }
        shift = psi(e, o);
        if (ksP < alpha && shift >= this.#o.psi.medium)
          add(
            'drift',
            shift >= this.#o.psi.high ? 'high' : 'medium',
            `"${f.name}" is distributed differently from the profiled data: PSI ${shift.toFixed(3)}, KS ${ks.toFixed(3)} (p = ${fmtP(ksP)})`,
            where,
          );
      } else if (!h) add('no-histogram', 'info', `the profile has no histogram for "${f.name}" (written by an older bulwark profile): drift not tested`, where);
      features.push({
        name: f.name,
        n,
        missing: c.missing,
        invalid: c.invalid,
        nonInteger: c.nonInteger,
        newCategories: c.newCategories,
        belowMin: c.belowMin,
        aboveMax: c.aboveMax,
        ks,
        ksP,
        psi: shift,
      });
    }

    // Labels.
    let labels: ValidationReport['labels'] = null;
    if (this.#labelAt >= 0) {
      const counts = Object.fromEntries([...this.#labels].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]));
      let labelPsi: number | null = null;
      let labelP: number | null = null;
      if (this.#invalidLabels > 0)
        add(
          'invalid-label',
          'high',
          `${this.#invalidLabels} rows have a label that is not a class index 0, 1, 2, … (up to 1022)`,
          `column ${this.#labelColumn}`,
        );
      if (p.labels) {
        const ref = p.labels;
        const total = Object.values(ref).reduce((a, b) => a + b, 0);
        const seen = [...this.#labels.values()].reduce((a, b) => a + b, 0);
        const unseen = [...this.#labels.keys()].filter((k) => ref[String(k)] === undefined);
        if (unseen.length > 0) add('new-label', 'high', `labels the profiled data never had: ${unseen.slice(0, 5).join(', ')}`, `column ${this.#labelColumn}`);
        const keys = Object.keys(ref);
        if (seen > 0 && total > 0) {
          const e = keys.map((k) => (ref[k] as number) / total);
          const o = keys.map((k) => (this.#labels.get(Number(k)) ?? 0) / seen);
          labelPsi = psi(e, o);
          // Chi-square goodness of fit of the batch's label counts to the profile's shares.
          let chi = 0;
          for (let i = 0; i < keys.length; i++) {
            const expected = (e[i] as number) * seen;
            if (expected > 0) chi += ((o[i] as number) * seen - expected) ** 2 / expected;
          }
          labelP = chiSquareSurvival(chi, Math.max(1, keys.length - 1));
          if (labelP < alpha && labelPsi >= this.#o.psi.medium)
            add(
              'label-shift',
              labelPsi >= this.#o.psi.high ? 'high' : 'medium',
              `label shares differ from the profiled data (${keys.map((k, i) => `${k}: ${fmtShare(o[i] as number)} vs ${fmtShare(e[i] as number)}`).join(', ')}; PSI ${labelPsi.toFixed(3)}, p = ${fmtP(labelP)})`,
              `column ${this.#labelColumn}`,
            );
        }
      }
      labels = { counts, psi: labelPsi, p: labelP };
    }

    // Duplicates and conflicting labels, against what chance gives. Two independent rows of the
    // profiled distribution fall in the same cell with probability Π_j Σ_b h_jb² (h: feature j's
    // bin shares; features taken as independent, which understates it for correlated ones), and
    // are exactly equal with the same product over point-mass features only (0 as soon as one
    // feature is continuous). Low-dimensional or all-categorical data repeats itself naturally:
    // only a count well above the expected one is a finding.
    const pairs = (this.#indexed * (this.#indexed - 1)) / 2;
    let sameCell = 1;
    let sameRow = 1;
    for (const c of this.#cols) {
      const h = c.profile.histogram;
      const collide = h ? h.proportions.reduce((a, x) => a + x * x, 0) : 0;
      sameCell *= collide;
      sameRow *= h && isPointMass(c.profile) ? collide : 0;
    }
    const expectedDuplicates = pairs * sameRow;
    if (this.#exactDuplicates > 0) {
      const pDup = poissonAtLeast(this.#exactDuplicates, expectedDuplicates);
      add(
        'duplicate-rows',
        pDup >= alpha ? 'info' : this.#exactDuplicates > 0.01 * this.#indexed ? 'medium' : 'low',
        `${this.#exactDuplicates} rows repeat an earlier row exactly (first at line ${this.#firstDuplicateLine}); chance would give ${fmtCount(expectedDuplicates)}`,
      );
    }
    // Near-identical rows (the same profile bin in every feature, exact repeats included).
    if (this.#nearDuplicates > 0) {
      const expectedNear = pairs * sameCell;
      const pNear = poissonAtLeast(this.#nearDuplicates, expectedNear);
      add(
        'near-duplicates',
        pNear >= alpha ? 'info' : this.#nearDuplicates > 0.01 * this.#indexed ? 'medium' : 'low',
        `${this.#nearDuplicates} rows are near-identical to an earlier row (the same profile bin in every feature); chance would give ${fmtCount(expectedNear)}${pNear < alpha ? ': replayed or oversampled records?' : ''}`,
      );
    }
    const conflictingLines: number[] = [];
    for (const cell of this.#conflictCells) {
      const g = this.#groups.get(cell) as number[];
      for (let i = 0; i < g.length && conflictingLines.length < MAX_CONFLICT_LINES; i += 2) conflictingLines.push(g[i] as number);
    }
    conflictingLines.sort((a, b) => a - b);
    if (this.#conflictCells.size > 0) {
      const shares = [...this.#labels.values()];
      const seen = shares.reduce((a, b) => a + b, 0);
      const differ = seen > 0 ? 1 - shares.reduce((a, k) => a + (k / seen) ** 2, 0) : 0;
      const expectedConflicts = pairs * sameCell * differ;
      const pConflict = poissonAtLeast(this.#conflictCells.size, expectedConflicts);
      add(
        'conflicting-labels',
        pConflict < alpha ? 'medium' : 'info',
        `${this.#conflictCells.size} groups of near-identical rows carry different labels (${conflictingLines.length} rows, e.g. lines ${conflictingLines.slice(0, 4).join(', ')}; chance would give ${fmtCount(expectedConflicts)})${pConflict < alpha ? ': a sign of label flipping' : ''}`,
      );
    }
    // Confident learning on the rows kept with their probabilities.
    let labelIssues: ValidationReport['labelIssues'] = null;
    if (this.#probAt.length > 0) {
      if (this.#probSkipped > 0)
        add(
          'probabilities-skipped',
          'info',
          `${this.#probSkipped} rows left out of confident learning (no valid label or probabilities, or past ${this.#o.maxIndexedRows} rows)`,
        );
      if (this.#probRows.length > 0) {
        try {
          const li = findLabelIssues(this.#probLabels, this.#probRows);
          const lines = li.ranked.slice(0, MAX_CONFLICT_LINES).map((i) => this.#probLines[i] as number);
          labelIssues = { rows: this.#probRows.length, estimatedErrors: li.estimatedErrors, lines };
          add(
            'label-issues',
            'info',
            `confident learning estimates ${Math.round(li.estimatedErrors)} label errors in ${this.#probRows.length} rows (${fmtShare(li.estimatedErrors / this.#probRows.length)}) and flags ${li.ranked.length}${lines.length > 0 ? `, most likely first: lines ${lines.slice(0, 5).join(', ')}` : ''}`,
          );
        } catch (err) {
          if (!(err instanceof LabelIssueError)) throw err;
          add('label-issues', 'medium', `confident learning could not run: ${err.message}`);
        }
      }
    }
    if (this.#indexed < this.#rows && this.#indexed >= this.#o.maxIndexedRows)
      add('index-capped', 'info', `duplicate and conflicting-label checks covered the first ${this.#indexed} complete rows of ${this.#rows}`);

    return {
      source,
      sha256,
      rows: this.#rows,
      columns: this.#header,
      features,
      labels,
      duplicates: { indexedRows: this.#indexed, exact: this.#exactDuplicates, nearDuplicates: this.#nearDuplicates },
      conflictingLines,
      labelIssues,
      findings,
    };
  }
}

const MISSING = Symbol('missing');
const INVALID = Symbol('invalid');

function numberOf(raw: unknown): number | typeof MISSING | typeof INVALID {
  if (raw === undefined || raw === null) return MISSING;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : INVALID;
  if (typeof raw !== 'string') return INVALID;
  const t = raw.trim();
  if (t === '') return MISSING; // before Number, which reads '' as 0
  const n = Number(t);
  if (Number.isFinite(n)) return n;
  return MISSING_TEXT.has(t.toLowerCase()) ? MISSING : INVALID;
}

/** A class index the index can pack (see `#cells`: label + 1 in 10 bits), or undefined. */
function labelOf(raw: unknown): number | undefined {
  const n = classIndex(raw);
  return n !== undefined && n < 1023 ? n : undefined;
}

/** The histogram bin of v: the number of edges strictly below it (bin k holds (edges[k-1], edges[k]]). */
function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A 53-bit hash of a row's numbers (FNV-1a over their IEEE bits, two lanes): an index key, not a security boundary. */
const view = new DataView(new ArrayBuffer(8));
function hashValues(values: Float64Array, tag: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ tag;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    view.setFloat64(0, x === 0 ? 0 : x); // -0 and 0 are one value
    const lo = view.getUint32(0);
    const hi = view.getUint32(4);
    a = Math.imul(a ^ lo, 0x01000193);
    a = Math.imul(a ^ hi, 0x01000193);
    b = Math.imul(b ^ hi, 0x5bd1e995);
    b = Math.imul(b ^ (b >>> 15) ^ lo, 0x5bd1e995);
  }
  a = Math.imul(a ^ tag, 0x01000193);
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}

/** Good–Turing's mass of values a reference of `rows` rows never showed: (singletons + 1)/(rows + 1). */
function unseenMass(f: FeatureProfile, rows: number): number {
  const ps = isPointMass(f) ? (f.histogram?.proportions ?? []) : [];
  const singletons = ps.filter((p) => Math.round(p * rows) === 1).length;
  return (singletons + 1) / (rows + 1);
}

/** An integer feature binned one value a bin (see FeatureProfile.histogram). */
function isPointMass(f: FeatureProfile): boolean {
  const edges = f.histogram?.edges;
  return f.integer && edges !== undefined && edges.length < 64 && edges.every(Number.isInteger);
}

const fmtCount = (x: number): string => (x < 0.01 ? '< 0.01' : x.toFixed(2));
const fmtP = (p: number): string => (p < 1e-300 ? '< 1e-300' : p < 1e-6 ? p.toExponential(1) : p.toPrecision(2));
const fmtShare = (x: number): string => `${(100 * x).toFixed(1)}%`;
