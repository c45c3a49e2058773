/**
 * The `bulwark` command line. Each command is one definition in commands/: its options, help and
 * what it does. `bulwark --help`, `bulwark <command> --help`, `bulwark help <command>`,
 * `bulwark --version`. Exit codes: 0 ok, 1 a runtime failure or a crossed gate, 2 a usage error
 * (documented in docs/cli.md).
 */
import { isBulwarkError, isConfigError } from '@bulwark/core';
import { type Command, helpOf, type Io, parse, UsageError } from './command.js';
import { attack } from './commands/attack.js';
import { hashKey } from './commands/hash-key.js';
import { keygen, sign, verify } from './commands/keys.js';
import { lineage } from './commands/lineage.js';
import { profile } from './commands/profile.js';
import { redact } from './commands/redact.js';
import { scan } from './commands/scan.js';
import { serve } from './commands/serve.js';
import { validate } from './commands/validate.js';
import { version } from './version.js';

const COMMANDS: readonly Command[] = [serve, attack, profile, validate, lineage, scan, sign, verify, keygen, hashKey, redact] as unknown as Command[];

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: bulwark <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(width)}  Show the help of a command: bulwark help <command>

Options:
  -h, --help     show this help (or a command's: bulwark <command> --help)
  -v, --version  print the version

Exit codes: 0 ok, 1 a runtime failure or a crossed gate, 2 a usage error.
Docs: docs/cli.md`;
}

function usageError(c: Command | undefined, message: string): number {
  io.err(`bulwark${c ? ` ${c.name}` : ''}: ${message}`);
  io.err('');
  io.err(c ? `Usage: ${c.usage}\nRun "bulwark ${c.name} --help" for the options.` : overview());
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    io.out(overview());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.out(version());
    return 0;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      io.out(overview());
      return 0;
    }
    const c = COMMANDS.find((x) => x.name === rest[0]);
    if (c === undefined || rest.length > 1) return usageError(undefined, `help takes one command name (received ${rest.join(' ')})`);
    io.out(helpOf(c));
    return 0;
  }
  const c = COMMANDS.find((x) => x.name === first);
  if (c === undefined) return usageError(undefined, `unknown command "${first}"`);
  try {
    const parsed = parse(c, rest);
    if (parsed === 'help') {
      io.out(helpOf(c));
      return 0;
    }
    return await c.run(parsed.values, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError) return usageError(c, err.message);
    // A policy that does not validate is a problem with the command line's inputs, like a bad flag.
    if (isConfigError(err)) {
      io.err(`bulwark ${c.name}: ${err.message}`);
      return 2;
    }
    if (isBulwarkError(err)) {
      io.err(`bulwark ${c.name}: ${err.code}: ${err.message}`);
      return 1;
    }
    io.err(`bulwark ${c.name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    io.err(`bulwark: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
