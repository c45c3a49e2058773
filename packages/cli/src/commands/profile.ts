/** `bulwark profile <data> --out <profile.json>`: the data profile the validate-input and ood guards read. */
import { writeFileSync } from 'node:fs';
import { ProfileError, profileFile } from '@bulwark/core';
import { defineCommand, intOption, regularFile, UsageError } from '../command.js';
import { progressBar } from '../progress.js';
import { version } from '../version.js';

export const profile = defineCommand({
  name: 'profile',
  summary: 'Profile training data (CSV or JSON Lines) for the validate-input and ood guards, with its provenance.',
  usage: 'bulwark profile <data.csv|data.jsonl> --out <profile.json> [--label <column>] [--sample <rows>]',
  details: `Arguments:
  <data>            CSV with a header row (feature columns in the model's input order, and a label
                    column if there is one), or JSON Lines ({"x": [...], "label": 0} or named features)

Options:
  --out <file>      where to write the profile (JSON)
  --label <column>  the label column (default: "label" when the data has one); it is not a feature
  --sample <rows>   rows kept for medians, quantiles and calibration (default 50,000; exact below it)
  --quiet           no progress bar

The profile holds per-feature statistics (range, quantiles, mean/sd, median/MAD, integer and
categorical features), the Mahalanobis scorer, score thresholds calibrated out of fold for
false-positive rates 0.1 to 0.001, and provenance: the file's sha256, rows, columns, time and tool.
The file is streamed: it may be larger than memory. See docs/detection.md.`,
  options: {
    out: { type: 'string' },
    label: { type: 'string' },
    sample: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: 1 },
  async run(values, [data], io) {
    if (!values.out) throw new UsageError('--out is required: where to write the profile');
    const path = regularFile(data as string, '<data>');
    const sampleRows = intOption(values.sample, '--sample', 100, 1_000_000);
    const bar = !values.quiet && process.stderr.isTTY ? progressBar('profiling') : undefined;
    let p: Awaited<ReturnType<typeof profileFile>>;
    try {
      p = await profileFile(path, {
        ...(values.label === undefined ? {} : { labelColumn: values.label }),
        ...(sampleRows === undefined ? {} : { sampleRows }),
        tool: `@bulwark/cli ${version()}`,
        ...(bar ? { onProgress: bar.update } : {}),
      });
    } catch (err) {
      // A malformed data file is a problem with a file the command line names: a usage error.
      if (err instanceof ProfileError) throw new UsageError(`${data}: ${err.message}`);
      throw err;
    } finally {
      bar?.done();
    }
    writeFileSync(values.out, `${JSON.stringify(p, null, 1)}\n`);
    const t = p.calibration.thresholds;
    io.err(
      `bulwark profile: ${p.provenance.rows} rows, ${p.features.length} features${p.labels ? `, ${Object.keys(p.labels).length} labels` : ''}; sha256 ${p.provenance.sha256.slice(0, 16)}…\n` +
        `  thresholds at a 1% false-positive rate (out of fold, n ${p.calibration.n}): mahalanobis ${fmt(t.mahalanobis['0.01'])}, robust-z ${fmt(t['robust-z']['0.01'])}\n` +
        `  written to ${values.out}`,
    );
    return 0;
  },
});

const fmt = (v: number | null): string => (v === null ? 'too few rows' : v.toFixed(2));
