/**
 * `bulwark redact [--policy <file>]`: JSON on stdin, the same JSON redacted on stdout, by the
 * policy's `redact` guard (or the built-in detectors when no policy is given), so rules can be
 * tried on one's own data before they guard a model. Nothing read is ever echoed in a message.
 */
import { createInterface } from 'node:readline';
import { buildRedactor, loadPolicy, parseOptions, type RedactionReport, type Redactor, redactionSchema } from '@bulwark/core';
import { defineCommand, regularFile, UsageError } from '../command.js';

/** stdin is read whole for one document; JSON Lines are streamed a line at a time. */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export const redact = defineCommand({
  name: 'redact',
  summary: "Redact JSON from stdin with a policy's redaction rules (or the built-in detectors): try rules on your own data.",
  usage: 'bulwark redact [--policy <file>] [--jsonl] [--report] < data.json',
  details: `Options:
  --policy <file>   a policy whose guards include \`use: redact\` (its options are used); none: every built-in detector
  --jsonl           the input is JSON Lines: one value per line, streamed (any size)
  --report          print what was found to stderr: counts by detector and path (never values)

Reads at most 64 MiB of JSON (or lines of 16 MiB with --jsonl). Exit codes: 0 ok, 1 input that is
not JSON (the message gives the position, not the text), 2 a usage error or an invalid policy.

Example:
  echo '{"note":"call +44 20 7946 0958"}' | bulwark redact
  bulwark redact --policy examples/fraud-express/cases-policy.yaml --jsonl --report < cases.jsonl`,
  options: { policy: { type: 'string' }, jsonl: { type: 'boolean', default: false }, report: { type: 'boolean', default: false } },
  positionals: { min: 0, max: 0 },
  async run(values, _positionals, io) {
    const redactor = await redactorOf(values.policy);
    const totals = new Map<string, number>();
    const add = (report: RedactionReport) => {
      for (const [k, n] of report.counts) totals.set(k, (totals.get(k) ?? 0) + n);
    };
    if (values.jsonl) {
      let line = 0;
      for await (const text of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
        line++;
        if (text.trim() === '') continue;
        if (text.length > MAX_LINE_BYTES) return fail(io, `line ${line} is longer than 16 MiB`);
        const parsed = parseJson(text);
        if ('error' in parsed) return fail(io, `line ${line} is not valid JSON (${parsed.error})`);
        const { value, report } = redactor.redact(parsed.value);
        add(report);
        io.out(JSON.stringify(value));
      }
    } else {
      const text = await readStdin(MAX_DOCUMENT_BYTES);
      if (text === undefined) return fail(io, 'stdin is larger than 64 MiB: use --jsonl for large inputs');
      const parsed = parseJson(text);
      if ('error' in parsed) return fail(io, `stdin is not valid JSON (${parsed.error})`);
      const { value, report } = redactor.redact(parsed.value);
      add(report);
      io.out(JSON.stringify(value, null, 2));
    }
    if (values.report) {
      const rows = [...totals].sort((a, b) => b[1] - a[1]);
      io.err(rows.length === 0 ? 'nothing found' : rows.map(([k, n]) => `${String(n).padStart(6)}  ${k.replace('\u0000', '  at ')}`).join('\n'));
    }
    return 0;
  },
});

function fail(io: { err(line: string): void }, message: string): number {
  io.err(`bulwark redact: ${message}`);
  return 1;
}

async function redactorOf(policyPath: string | undefined): Promise<Redactor> {
  if (policyPath === undefined) return buildRedactor(parseOptions(redactionSchema, {}, 'redact options'), 'redact options').redactor;
  const policy = await loadPolicy(regularFile(policyPath, '--policy'));
  const specs = (policy.guards ?? []).filter((g) => g.use === 'redact');
  if (specs.length === 0) throw new UsageError(`--policy: ${policyPath} has no guard with \`use: redact\``);
  if (specs.length > 1) throw new UsageError(`--policy: ${policyPath} has ${specs.length} redact guards; give it one`);
  const where = `${policyPath}: guards[${(policy.guards ?? []).indexOf(specs[0] as never)}].with`;
  return buildRedactor(parseOptions(redactionSchema, specs[0]?.with ?? {}, where), where).redactor;
}

/** JSON.parse, with an error that gives the position only (Node's message quotes the input). */
function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const at = /position (\d+)/.exec(String((err as Error).message));
    return { error: at ? `at character ${at[1]}` : 'unexpected end or token' };
  }
}

async function readStdin(max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
