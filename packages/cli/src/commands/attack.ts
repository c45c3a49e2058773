/**
 * `bulwark attack <extraction|membership|evasion|all>`: attack the shipped models served by
 * `bulwark serve` (unguarded, and under each --policy), or a running server (--target), and write
 * JSON, Markdown and HTML reports. Exits 1 when a gate is crossed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Gates, parseGates, toHtml, toMarkdown } from '@bulwark/attack-lab';
import type { ShippedModelName } from '@bulwark/models';
import { parse as parseYaml } from 'yaml';
import { type AttackKind, runAttacks } from '../attack/run.js';
import { defineCommand, intOption, type Options, type ParsedValues, regularFile, UsageError } from '../command.js';

const KINDS: Record<string, AttackKind[]> = {
  extraction: ['extraction'],
  membership: ['membership'],
  evasion: ['evasion'],
  all: ['extraction', 'membership', 'evasion'],
};

const options = {
  policy: { type: 'string', multiple: true, default: [] },
  target: { type: 'string' },
  key: { type: 'string', multiple: true, default: [] },
  model: { type: 'string' },
  seed: { type: 'string', default: '1' },
  queries: { type: 'string' },
  quick: { type: 'boolean', default: false },
  out: { type: 'string', default: 'reports' },
  gates: { type: 'string' },
  export: { type: 'string' },
  norm: { type: 'string', default: 'linf' },
  'no-progress': { type: 'boolean', default: false },
} satisfies Options;

export const attack = defineCommand({
  name: 'attack',
  summary: 'Attack a shipped model (unguarded, then under each policy) or a running server; write reports; gate CI.',
  usage: 'bulwark attack <extraction|membership|evasion|all> [--policy <file>]... [--target <url>] [options]',
  details: `Arguments:
  <attack>                extraction, membership, evasion, or all

Options:
  --policy <file>         a policy to measure (repeatable); each gets its own bulwark serve
  --target <url>          attack a running server instead of serving the shipped models
  --key <k>               API key(s) the attacker holds (repeatable; rotated on refusals)
  --model <name>          fraud, digits or leaky (default: each attack's preset)
  --seed <n>              seed of the attacker's randomness (default 1): runs reproduce exactly
  --queries <n>           query budget of the extraction attack (>= 100)
  --quick                 small numbers, for smoke tests
  --out <dir>             where the JSON, Markdown and HTML reports go (default reports)
  --gates <file>          YAML/JSON thresholds; exit 1 when one is crossed
  --export <file>         write the adversarial examples found (.jsonl or .csv)
  --norm <linf|l2>        norm of the evasion budget (default linf)
  --no-progress           no progress bar

Exit codes: 0 done (and every gate passed), 1 a gate crossed or a failure, 2 a usage error.`,
  options,
  positionals: { min: 1, max: 1 },
  run: (values, positionals, io) => attackCommand(values, positionals, io.out),
});

type AttackValues = ParsedValues<typeof options>;

/** Returns the exit code. */
export async function attackCommand(values: AttackValues, positionals: string[], log: (s: string) => void): Promise<number> {
  const kind = positionals[0];
  const attacks = kind === undefined ? undefined : KINDS[kind];
  if (attacks === undefined) throw new UsageError(`attack needs one of extraction, membership, evasion, all (received ${kind ?? 'nothing'})`);
  const seed = intOption(values.seed, '--seed', 0, 2 ** 31 - 1) as number;
  const queries = intOption(values.queries, '--queries', 100, 10_000_000);
  for (const p of values.policy) regularFile(p, '--policy');
  const model = values.model as ShippedModelName | undefined;
  if (model !== undefined && !['fraud', 'digits', 'leaky'].includes(model)) throw new UsageError(`--model must be fraud, digits or leaky (received ${model})`);
  if (model === 'digits' && attacks.includes('membership')) throw new UsageError('membership needs a model with known members: fraud or leaky');
  if (model === 'leaky' && attacks.includes('evasion')) throw new UsageError('evasion runs on fraud or digits');
  if (values.norm !== 'linf' && values.norm !== 'l2') throw new UsageError(`--norm must be linf or l2 (received ${values.norm})`);
  let gates: Gates | undefined;
  if (values.gates) {
    const text = readFileSync(regularFile(values.gates, '--gates'), 'utf8');
    gates = parseGates(/\.ya?ml$/i.test(values.gates) ? parseYaml(text) : JSON.parse(text), values.gates);
  }
  const models = model === undefined ? undefined : Object.fromEntries(attacks.map((a) => [a, model]));
  const { report, adversarial } = await runAttacks({
    attacks,
    models,
    norm: values.norm,
    policies: values.policy,
    targetUrl: values.target,
    keys: values.key,
    seed,
    queries,
    quick: values.quick,
    gates,
    progress: !values['no-progress'],
  });
  mkdirSync(values.out, { recursive: true });
  const base = join(values.out, `attack-${kind}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, toMarkdown(report));
  writeFileSync(`${base}.html`, toHtml(report));
  log(toMarkdown(report));
  log(`reports: ${base}.json, ${base}.md, ${base}.html`);
  if (values.export) {
    if (adversarial === undefined) throw new UsageError('--export needs the evasion attack');
    writeFileSync(values.export, values.export.endsWith('.csv') ? adversarial.csv : adversarial.jsonl);
    log(`adversarial examples: ${values.export}`);
  }
  const crossed = report.gates.filter((g) => !g.passed);
  if (crossed.length > 0) {
    log(`gates crossed: ${crossed.map((g) => `${g.gate} vs ${g.target} ${g.value.toFixed(3)} > ${g.threshold}`).join('; ')}`);
    return 1;
  }
  return 0;
}
