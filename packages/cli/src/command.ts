/**
 * The shape of a `bulwark` command: its options (node:util parseArgs definitions), positionals,
 * help text, and what it does. Every command gets `--help`; a usage error names the problem and
 * prints that command's usage only. Exit codes (docs/cli.md): 0 ok, 1 a runtime failure or a
 * crossed gate, 2 a usage error (the command line, or a file it names).
 */
import { statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command<O extends Options = Options> {
  readonly name: string;
  /** One line for `bulwark --help`. */
  readonly summary: string;
  /** The synopsis, e.g. `bulwark hash-key <key | ->`. */
  readonly usage: string;
  /** Lines describing each option and argument. */
  readonly details: string;
  readonly options: O;
  /** How many positionals the command takes. */
  readonly positionals: { readonly min: number; readonly max: number };
  /** Returns the exit code. */
  run(values: ParsedValues<O>, positionals: string[], io: Io): Promise<number>;
}

export type ParsedValues<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** A problem with the command line or a file it names: exit 2, with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function defineCommand<O extends Options>(c: Command<O>): Command<O> {
  return c;
}

export function helpOf(c: Command): string {
  return `Usage: ${c.usage}\n\n${c.summary}\n\n${c.details}`;
}

/** Parses argv for a command; throws UsageError naming the problem. */
export function parse<O extends Options>(c: Command<O>, argv: string[]): { values: ParsedValues<O>; positionals: string[] } | 'help' {
  let parsed: { values: ParsedValues<O>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...c.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as never;
  } catch (err) {
    // node:util's messages name the option; drop its advice about '--' (not ours to give).
    throw new UsageError(String((err as Error).message).split('. To specify')[0] ?? 'invalid arguments');
  }
  if ((parsed.values as { help?: boolean }).help) return 'help';
  const n = parsed.positionals.length;
  if (n < c.positionals.min) throw new UsageError(c.positionals.min === 1 ? 'an argument is missing' : `needs ${c.positionals.min} arguments`);
  if (n > c.positionals.max)
    throw new UsageError(`unexpected argument${n - c.positionals.max > 1 ? 's' : ''}: ${parsed.positionals.slice(c.positionals.max).join(' ')}`);
  return parsed;
}

/**
 * The file an option names, checked before anything reads it: it must exist and be a regular file
 * (`/dev/zero` or a FIFO would be read without bound). The message names the path, not an errno.
 */
export function regularFile(path: string, option: string): string {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(`${option}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'cannot read'}: ${path}`);
  }
  if (!isFile) throw new UsageError(`${option}: not a regular file: ${path}`);
  return path;
}

/** An integer option within bounds, or a UsageError naming it. */
export function intOption(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${option} must be an integer ${min}-${max} (received ${value})`);
  return n;
}
