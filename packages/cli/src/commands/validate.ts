/** `bulwark validate <data> --profile <profile.json>`: a batch of data checked against the training data's profile; text, JSON or SARIF; a CI gate. */
import { writeFileSync } from 'node:fs';
import { ConfigError, loadProfile } from '@bulwark/core';
import { ValidationError, type ValidationReport, validateFile } from '@bulwark/data';
import { atLeast, SEVERITIES, type Severity, severityCounts, toSarif } from '@bulwark/supply-chain';
import { defineCommand, regularFile, UsageError } from '../command.js';
import { progressBar } from '../progress.js';
import { version } from '../version.js';

export const validate = defineCommand({
  name: 'validate',
  summary: 'Check a batch of training or serving data against a profile: schema, ranges, drift, label shift, duplicates, conflicting labels.',
  usage:
    'bulwark validate <data.csv|data.jsonl> --profile <profile.json> [--probabilities <columns>] [--format text|json|sarif] [--fail-on high] [--out <file>]',
  details: `Arguments:
  <data>                 CSV with a header row, or JSON Lines, as for bulwark profile; columns are
                         matched to the profile's features by name

Options:
  --profile <file>       the reference profile (bulwark profile of the training data)
  --label <column>       the label column (default: the profile's)
  --probabilities <c,…> columns holding each row's out-of-sample predicted probabilities, one per
                         class in class order: label issues are ranked by confident learning
  --alpha <p>            family-wise false-alarm rate of the statistical checks on a clean batch (default 0.001)
  --format <f>           text (default), json, or sarif (SARIF 2.1.0 for code-scanning tools)
  --fail-on <severity>   exit 1 when a finding is at or above it: critical, high (default), medium, low, info; none never fails
  --out <file>           write the report there instead of stdout
  --quiet                no progress bar

Checks: missing or unknown columns, cells that are not numbers, missing values, non-integers in
integer features, new categories, values outside the profiled range (more than chance allows),
drift per feature (two-sample KS for significance and PSI for size: medium at PSI 0.1, high at
0.25), label shift (chi-square and PSI), exact duplicate rows, and near-identical rows with
different labels (a sign of label flipping); with --probabilities, label issues by confident
learning (info: the JSON report lists the flagged lines, most likely first). Findings name columns and line numbers, never cell
contents. The file is streamed: it may be larger than memory. See docs/data.md.
Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error.`,
  options: {
    profile: { type: 'string' },
    label: { type: 'string' },
    probabilities: { type: 'string' },
    alpha: { type: 'string' },
    format: { type: 'string', default: 'text' },
    'fail-on': { type: 'string', default: 'high' },
    out: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: 1 },
  async run(values, [data], io) {
    if (!values.profile) throw new UsageError('--profile is required: the profile of the training data (bulwark profile)');
    if (!['text', 'json', 'sarif'].includes(values.format)) throw new UsageError(`--format must be text, json or sarif (received ${values.format})`);
    const failOn = values['fail-on'];
    if (failOn !== 'none' && !SEVERITIES.includes(failOn as Severity))
      throw new UsageError(`--fail-on must be one of ${[...SEVERITIES].reverse().join(', ')}, none (received ${failOn})`);
    const alpha = values.alpha === undefined ? undefined : Number(values.alpha);
    if (alpha !== undefined && !(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha must be a number between 0 and 1 (received ${values.alpha})`);
    const path = regularFile(data as string, '<data>');
    let profile: ReturnType<typeof loadProfile>;
    try {
      profile = loadProfile(regularFile(values.profile, '--profile'));
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`--profile ${values.profile}: ${err.message}`);
      throw err;
    }
    const bar = !values.quiet && process.stderr.isTTY ? progressBar('validating') : undefined;
    let report: ValidationReport;
    try {
      report = await validateFile(path, profile, {
        ...(values.label === undefined ? {} : { labelColumn: values.label }),
        ...(alpha === undefined ? {} : { alpha }),
        ...(values.probabilities === undefined ? {} : { probabilityColumns: values.probabilities.split(',').map((c) => c.trim()) }),
        ...(bar ? { onProgress: bar.update } : {}),
      });
    } catch (err) {
      // A data file that is not a table is a problem with a file the command line names.
      if (err instanceof ValidationError) throw new UsageError(`${data}: ${err.message}`);
      throw err;
    } finally {
      bar?.done();
    }
    const text =
      values.format === 'sarif'
        ? `${JSON.stringify(toSarif(report.findings, { version: version(), tags: ['security', 'data-poisoning'] }), null, 2)}\n`
        : values.format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : render(report);
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    const failing = failOn === 'none' ? [] : report.findings.filter((f) => atLeast(f.severity, failOn as Severity));
    if (values.out)
      io.err(`bulwark validate: ${report.rows} rows, ${report.findings.length} findings (${failing.length} at or above ${failOn}); report in ${values.out}`);
    return failing.length > 0 ? 1 : 0;
  },
});

function render(r: ValidationReport): string {
  const lines = r.findings.map((f) => `${f.severity.toUpperCase().padEnd(8)} ${f.rule.padEnd(24)} ${f.where ?? ''}\n         ${f.message}`);
  const counts = severityCounts(r.findings);
  const table = r.features.map(
    (f) =>
      `  ${f.name.padEnd(24)} n ${String(f.n).padStart(8)}  missing ${String(f.missing).padStart(6)}  out of range ${String(f.belowMin + f.aboveMax).padStart(6)}  PSI ${f.psi === null ? '   -' : f.psi.toFixed(3)}  KS ${f.ks === null ? '   -' : f.ks.toFixed(3)}`,
  );
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${table.join('\n')}\n${r.source}: ${r.rows} rows (sha256 ${r.sha256.slice(0, 16)}…): ${counts}\n`;
}
