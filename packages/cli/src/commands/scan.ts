/** `bulwark scan <file|dir>`: model files checked without loading them; text, JSON or SARIF; a CI gate. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { atLeast, type Finding, SEVERITIES, type Severity, scanPath, severityCounts, toSarif } from '@bulwark/supply-chain';
import { defineCommand, UsageError } from '../command.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const scan = defineCommand({
  name: 'scan',
  summary: 'Scan model files (ONNX, safetensors, pickle-family, PyTorch zips) without loading them; SARIF for CI.',
  usage: 'bulwark scan <file|dir> [--format text|json|sarif] [--fail-on high] [--out <file>]',
  details: `Arguments:
  <file|dir>             a model file, or a folder (every file under it; symlinks reported, not followed)

Options:
  --format <f>           text (default), json, or sarif (SARIF 2.1.0 for code-scanning tools)
  --fail-on <severity>   exit 1 when a finding is at or above it: critical, high (default), medium, low, info; none never fails
  --out <file>           write the report there instead of stdout

What is checked: ONNX graphs (external data, operator domains and opsets, limits, tensor sizes),
safetensors headers (offsets, shapes, trailing bytes), pickles (every imported global, by
severity: code execution, network, file system, unknown), disassembled and never unpickled.
Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error.`,
  options: {
    format: { type: 'string', default: 'text' },
    'fail-on': { type: 'string', default: 'high' },
    out: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(values, [target], io) {
    if (!['text', 'json', 'sarif'].includes(values.format)) throw new UsageError(`--format must be text, json or sarif (received ${values.format})`);
    const failOn = values['fail-on'];
    if (failOn !== 'none' && !SEVERITIES.includes(failOn as Severity))
      throw new UsageError(`--fail-on must be one of ${[...SEVERITIES].reverse().join(', ')}, none (received ${failOn})`);
    if (!existsSync(target as string)) throw new UsageError(`no such file or folder: ${target}`);
    const report = scanPath(target as string);
    if (report.files.length === 0 && report.findings.length === 0) throw new UsageError(`nothing to scan at ${target}`);
    const text =
      values.format === 'sarif'
        ? `${JSON.stringify(toSarif(report.findings, { version }), null, 2)}\n`
        : values.format === 'json'
          ? `${JSON.stringify({ root: report.root, files: report.files.map((f) => ({ path: f.path, kind: f.kind, bytes: f.bytes, findings: f.findings.length })), findings: report.findings }, null, 2)}\n`
          : render(report.files.length, report.findings);
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    const failing = failOn === 'none' ? [] : report.findings.filter((f) => atLeast(f.severity, failOn as Severity));
    if (values.out)
      io.err(
        `bulwark scan: ${report.files.length} files, ${report.findings.length} findings (${failing.length} at or above ${failOn}); report in ${values.out}`,
      );
    return failing.length > 0 ? 1 : 0;
  },
});

function render(files: number, findings: readonly Finding[]): string {
  const lines = findings.map(
    (f) => `${f.severity.toUpperCase().padEnd(8)} ${f.rule.padEnd(32)} ${f.file ?? ''}${f.where ? ` ${f.where}` : ''}\n         ${f.message}`,
  );
  const counts = severityCounts(findings);
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${files} files scanned: ${counts}\n`;
}
