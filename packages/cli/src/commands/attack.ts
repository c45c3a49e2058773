/**
 * `bulwark attack <extraction|membership|evasion|averaging|all>`: attack the shipped models served
 * by `bulwark serve` (unguarded, and under each --policy), or any running server (--target) with
 * its data (--data), and write JSON, Markdown and HTML reports. Exit 1 when a gate is crossed, 3
 * when a gate measured nothing (inconclusive or missing).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataError, type ExtractionStrategy, type Gates, type LabelledData, parseGates, readDataset, toHtml, toMarkdown } from '@bulwark/attack-lab';
import type { ShippedModelName } from '@bulwark/models';
import { parse as parseYaml } from 'yaml';
import { type AttackKind, runAttacks } from '../attack/run.js';
import { fromData, type Scenario, scenario } from '../attack/scenarios.js';
import { defineCommand, intOption, type Options, type ParsedValues, regularFile, UsageError } from '../command.js';

const KINDS: Record<string, AttackKind[]> = {
  extraction: ['extraction'],
  membership: ['membership'],
  evasion: ['evasion'],
  averaging: ['averaging'],
  all: ['extraction', 'membership', 'evasion'],
};
const DEFAULT_MODELS: Record<AttackKind, ShippedModelName> = { extraction: 'fraud', membership: 'leaky', evasion: 'fraud', averaging: 'fraud' };

/** Exit code when a gate measured nothing (distinct from 1, a crossed gate). */
export const EXIT_INCONCLUSIVE = 3;

const options = {
  policy: { type: 'string', multiple: true, default: [] },
  target: { type: 'string' },
  data: { type: 'string' },
  'data-share': { type: 'string', default: '0.5' },
  members: { type: 'string' },
  'non-members': { type: 'string' },
  'model-name': { type: 'string' },
  key: { type: 'string', multiple: true, default: [] },
  rotate: { type: 'string', default: 'on-refusal' },
  address: { type: 'string', multiple: true, default: [] },
  'spread-addresses': { type: 'string' },
  'judge-key': { type: 'string' },
  'benign-key': { type: 'string', multiple: true, default: [] },
  model: { type: 'string' },
  strategy: { type: 'string' },
  seed: { type: 'string', default: '1' },
  queries: { type: 'string' },
  'max-wait': { type: 'string', default: '2' },
  quick: { type: 'boolean', default: false },
  out: { type: 'string', default: 'reports' },
  gates: { type: 'string' },
  export: { type: 'string' },
  norm: { type: 'string', default: 'linf' },
  'no-progress': { type: 'boolean', default: false },
} satisfies Options;

export const attack = defineCommand({
  name: 'attack',
  summary: 'Attack a shipped model (unguarded, then under each policy) or any running server with its data; write reports; gate CI.',
  usage: 'bulwark attack <extraction|membership|evasion|averaging|all> [--policy <file>]... [--target <url> --data <file>] [options]',
  details: `Arguments:
  <attack>                extraction; membership (global-threshold scores, LiRA, label-only);
                          evasion (score, decision, HopSkipJump, transfer from a surrogate);
                          averaging (repeated queries against noisy answers); all (the first three)

Target:
  --policy <file>         a policy to measure (repeatable); each gets its own bulwark serve
  --model <name>          fraud, digits or leaky (default: each attack's preset)
  --target <url>          attack a running server instead (any model; needs --data)
  --data <file>           labelled rows (CSV with a header and a label column, or JSON Lines):
                          the attacker's share, and the rows that measure the attack
  --data-share <0..1>     share of --data the attacker holds (default 0.5; 0: data-free, uniform queries)
  --members <file>, --non-members <file>
                          known training and non-training rows (membership on a --target)
  --model-name <name>     the model's name in reports (default: the data file's name)

Attacker:
  --key <k>               API key(s) the attacker holds (repeatable)
  --rotate <mode>         on-refusal (default: next key when one is refused) or round-robin
                          (every request from the next key: a Sybil attacker, 1/N of the queries each)
  --address <ip>          client address(es) to appear from, sent as X-Forwarded-For (repeatable;
                          only a server behind a trusted proxy reads it)
  --spread-addresses <n>  n addresses, each in its own IPv6 /56 (2001:db8::/32)
  --strategy <s>          extraction queries: active (default), perturb, natural, random (data-free)
  --queries <n>           query budget of the extraction attack (>= 100; default 10,000)
  --max-wait <s>          longest Retry-After to wait out (default 2; larger: low and slow)
  --norm <linf|l2>        norm of the evasion budget (default linf)
  --seed <n>              seed of the attacker's randomness (default 1): runs reproduce exactly

Measurement:
  --judge-key <k>         key for the judge's own queries to a --target (the target's labels for
                          fidelity; not counted as the attacker's)
  --benign-key <k>        key of the benign user whose utility is measured (repeatable)
  --gates <file>          YAML/JSON thresholds
  --quick                 small numbers, for smoke tests
  --out <dir>             where the JSON, Markdown and HTML reports go (default reports)
  --export <file>         write the adversarial examples found (.jsonl or .csv)
  --no-progress           no progress bar

Exit codes: 0 done, every gate passed; 1 a gate crossed, or a failure; 2 a usage error;
3 a gate measured nothing (the attack got too few answers, or its target or attack did not run).`,
  options,
  positionals: { min: 1, max: 1 },
  run: (values, positionals, io) => attackCommand(values, positionals, io.out),
});

type AttackValues = ParsedValues<typeof options>;

function dataFile(path: string, option: string): LabelledData {
  try {
    return readDataset(regularFile(path, option));
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(`${option}: ${err.message}`);
    throw err;
  }
}

/** Returns the exit code. */
export async function attackCommand(values: AttackValues, positionals: string[], log: (s: string) => void): Promise<number> {
  const kind = positionals[0];
  const attacks = kind === undefined ? undefined : KINDS[kind];
  if (attacks === undefined) throw new UsageError(`attack needs one of extraction, membership, evasion, averaging, all (received ${kind ?? 'nothing'})`);
  const seed = intOption(values.seed, '--seed', 0, 2 ** 31 - 1) as number;
  const queries = intOption(values.queries, '--queries', 100, 10_000_000);
  const maxWait = intOption(values['max-wait'], '--max-wait', 0, 86_400) as number;
  for (const p of values.policy) regularFile(p, '--policy');
  if (values.norm !== 'linf' && values.norm !== 'l2') throw new UsageError(`--norm must be linf or l2 (received ${values.norm})`);
  if (values.rotate !== 'on-refusal' && values.rotate !== 'round-robin')
    throw new UsageError(`--rotate must be on-refusal or round-robin (received ${values.rotate})`);
  const strategies = ['active', 'perturb', 'natural', 'random'];
  if (values.strategy !== undefined && !strategies.includes(values.strategy))
    throw new UsageError(`--strategy must be one of ${strategies.join(', ')} (received ${values.strategy})`);
  const spread = intOption(values['spread-addresses'], '--spread-addresses', 1, 65_536);
  const addresses = [
    ...values.address,
    ...Array.from({ length: spread ?? 0 }, (_, i) => `2001:db8:${(i >> 8).toString(16)}:${((i & 0xff) << 8).toString(16)}::1`),
  ];

  const scenarios: Partial<Record<AttackKind, Scenario>> = {};
  if (values.data !== undefined) {
    if (values.target === undefined) throw new UsageError('--data attacks a running server: give its --target URL');
    if (values.model !== undefined) throw new UsageError('--model names a shipped model; with --data, name yours with --model-name');
    const share = Number(values['data-share']);
    if (!(share >= 0 && share < 1)) throw new UsageError(`--data-share must be at least 0 and below 1 (received ${values['data-share']})`);
    const data = dataFile(values.data, '--data');
    const membership =
      values.members !== undefined || values['non-members'] !== undefined
        ? { members: dataFile(values.members ?? '', '--members'), nonMembers: dataFile(values['non-members'] ?? '', '--non-members') }
        : undefined;
    if (attacks.includes('membership') && membership === undefined)
      throw new UsageError('membership on a --target needs --members and --non-members (rows known to be in and out of its training data)');
    if (values.strategy !== undefined && values.strategy !== 'random' && share === 0)
      throw new UsageError(`--strategy ${values.strategy} needs attacker data: --data-share above 0`);
    const sc = fromData(values['model-name'] ?? basename(values.data).replace(/\.[^.]+$/, ''), data, share, seed, membership);
    for (const a of attacks) scenarios[a] = sc;
  } else {
    const model = values.model as ShippedModelName | undefined;
    if (model !== undefined && !['fraud', 'digits', 'leaky'].includes(model))
      throw new UsageError(`--model must be fraud, digits or leaky (received ${model})`);
    if (model === 'digits' && attacks.includes('membership')) throw new UsageError('membership needs a model with known members: fraud or leaky');
    if (model === 'leaky' && attacks.includes('evasion')) throw new UsageError('evasion runs on fraud or digits');
    if (values.target !== undefined && values.policy.length > 0)
      throw new UsageError('--policy starts servers of the shipped models; --target attacks a running one: give one or the other');
    for (const a of attacks) scenarios[a] = scenario(model ?? DEFAULT_MODELS[a]);
  }
  let gates: Gates | undefined;
  if (values.gates) {
    const text = readFileSync(regularFile(values.gates, '--gates'), 'utf8');
    gates = parseGates(/\.ya?ml$/i.test(values.gates) ? parseYaml(text) : JSON.parse(text), values.gates);
  }
  const { report, adversarial } = await runAttacks({
    attacks,
    scenarios,
    norm: values.norm,
    policies: values.policy,
    targetUrl: values.target,
    keys: values.key,
    addresses,
    rotate: values.rotate,
    benignKeys: values['benign-key'],
    judgeKey: values['judge-key'],
    strategy: values.strategy as ExtractionStrategy | undefined,
    maxWaitSeconds: maxWait,
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
  const crossed = report.gates.filter((g) => g.status === 'fail');
  const unmeasured = report.gates.filter((g) => g.status === 'inconclusive' || g.status === 'missing');
  if (crossed.length > 0) log(`gates crossed: ${crossed.map((g) => `${g.gate} vs ${g.target} ${g.value?.toFixed(3)} > ${g.threshold}`).join('; ')}`);
  if (unmeasured.length > 0)
    log(`gates inconclusive: ${unmeasured.map((g) => `${g.gate} vs ${g.target}: ${g.status} (${g.reason ?? 'nothing measured'})`).join('; ')}`);
  if (crossed.length > 0) return 1;
  if (unmeasured.length > 0) return EXIT_INCONCLUSIVE;
  return 0;
}
