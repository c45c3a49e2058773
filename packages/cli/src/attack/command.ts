/**
 * `bulwark attack <extraction|membership|evasion|all>`: attack the shipped models served by
 * `bulwark serve` (unguarded, and under each --policy), or a running server (--target), and write
 * JSON, Markdown and HTML reports. Exits 1 when a gate is crossed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Gates, parseGates, toHtml, toMarkdown } from '@bulwark/attack-lab';
import type { ShippedModelName } from '@bulwark/models';
import { parse as parseYaml } from 'yaml';
import { type AttackKind, runAttacks } from './run.js';

export const ATTACK_USAGE = `  bulwark attack <extraction|membership|evasion|all> [--policy <file>]... [--target <url>] [--key <k>]...
                [--model fraud|digits|leaky] [--seed 1] [--queries 10000] [--quick] [--out reports]
                [--gates <gates.yaml>] [--export <adversarial.jsonl|.csv>] [--norm linf|l2] [--no-progress]`;

const KINDS: Record<string, AttackKind[]> = {
  extraction: ['extraction'],
  membership: ['membership'],
  evasion: ['evasion'],
  all: ['extraction', 'membership', 'evasion'],
};

/** Returns the exit code. */
export async function attackCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
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
    },
  });
  const kind = positionals[0];
  const attacks = kind === undefined ? undefined : KINDS[kind];
  if (attacks === undefined) throw new UsageError(`attack needs one of extraction, membership, evasion, all (received ${kind ?? 'nothing'})`);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer (received ${values.seed})`);
  const queries = values.queries === undefined ? undefined : Number(values.queries);
  if (queries !== undefined && !(Number.isSafeInteger(queries) && queries >= 100))
    throw new UsageError(`--queries must be an integer >= 100 (received ${values.queries})`);
  const model = values.model as ShippedModelName | undefined;
  if (model !== undefined && !['fraud', 'digits', 'leaky'].includes(model)) throw new UsageError(`--model must be fraud, digits or leaky (received ${model})`);
  if (model === 'digits' && attacks.includes('membership')) throw new UsageError('membership needs a model with known members: fraud or leaky');
  if (model === 'leaky' && attacks.includes('evasion')) throw new UsageError('evasion runs on fraud or digits');
  if (values.norm !== 'linf' && values.norm !== 'l2') throw new UsageError(`--norm must be linf or l2 (received ${values.norm})`);
  let gates: Gates | undefined;
  if (values.gates) {
    const text = readFileSync(values.gates, 'utf8');
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

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
