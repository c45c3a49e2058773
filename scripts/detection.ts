/**
 * `pnpm detection [--quick] [--out <dir>]`: the recommended policies (policies/recommended.yaml for
 * fraud, recommended-digits.yaml for digits) against the attacks of the attack lab, over HTTP
 * against `bulwark serve`, next to the same model unguarded; and the detectors' false positives on
 * benign rows in process. Writes the tables into docs/detection.md between the generated markers
 * and the full reports to docs/reports/detection.*. `--quick` (the test suite's version) writes to
 * --out only.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AttackRun,
  baselineOf,
  changeAgainst,
  createTarget,
  describeRun,
  type EvasionResult,
  type ExtractionResult,
  evasionAttack,
  extractionAttack,
  functionTransport,
  headline,
  type PredictLike,
  type Report,
  Rng,
  rate,
  type TargetStats,
} from '@bulwark/attack-lab';
import {
  createBulwark,
  extractionDetection,
  guardsFromPolicy,
  type Logger,
  loadPolicy,
  MemoryStore,
  nearDuplicates,
  ood,
  type Policy,
  squeezingScores,
  squeezingThreshold,
} from '@bulwark/core';
import { digitsData, fraudData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { type AttackKind, type AttackPlan, runAttacks } from '../packages/cli/src/attack/run.js';
import { type Scenario, scenario } from '../packages/cli/src/attack/scenarios.js';
import { naiveAdversarialDigits, onGridAdversarialDigits } from '../test/helpers/adversarial-digits.js';
import { type DayResult, type DuringAttack, runBenignDay } from './lib/day-stream.js';
import { fraudRows } from './lib/fraud-gen.js';
import { fillSections, writeReport } from './lib/generated.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const quick = process.argv.includes('--quick');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? (process.argv[outArg + 1] as string) : quick ? undefined : join(root, 'docs/reports');
if (out === undefined) {
  process.stderr.write('usage: pnpm detection [--quick --out <dir>]\n');
  process.exit(2);
}
const started = Date.now();
const attackerKeys = Array.from({ length: 20 }, (_, i) => `sk_lab_attacker_${String(i + 1).padStart(2, '0')}`);
const benign = { benignKeys: ['sk_lab_benign'] };
const queries = quick ? 600 : 3000;

type Step = { attack: AttackKind; model: 'fraud' | 'digits'; policy?: string } & Partial<AttackPlan>;
const policyOf = (model: string) => `${root}policies/${model === 'fraud' ? 'recommended' : 'recommended-digits'}.yaml`;

// The digits policy with a `tighten` level before `deny` (the budget divided by 100 from 9 risk
// points): what it buys against the data-free extraction that ood and risk-response already see.
const digitsTighten = join(mkdtempSync(join(tmpdir(), 'bulwark-tighten-')), 'recommended-digits-tighten.yaml');
{
  const text = readFileSync(policyOf('digits'), 'utf8');
  const tightened = text
    .replace(
      '  - use: risk-response\n',
      '  - use: risk-response\n    with:\n      levels: [{ at: 1, respond: rounded }, { at: 3, respond: top-1 }, { at: 6, respond: label }, { at: 9, respond: tighten }, { at: 12, respond: deny }]\n      tightenBy: 100\n',
    )
    .replace(
      '        default: { quotas: [{ limit: 4000, per: day }] }\n',
      '        default: { quotas: [{ limit: 4000, per: day }] }\n      tightenOnRisk: true\n',
    )
    .replaceAll('profiles/', `${root}policies/profiles/`);
  if (!tightened.includes('tightenOnRisk') || !tightened.includes('tightenBy')) throw new Error('recommended-digits.yaml changed: update the tighten variant');
  writeFileSync(digitsTighten, tightened);
}
const digitsDataFree: Step = {
  attack: 'extraction',
  model: 'digits',
  keys: attackerKeys.slice(0, 10),
  rotate: 'round-robin',
  queries,
  strategy: 'random',
  ...benign,
  variant: '10 keys, data-free',
};
const steps: Step[] = [
  // The naive attacker (the lab's default strategy, synthetic rows), then attackers that know the
  // guards: integers where the API wants integers, natural rows that look like customers.
  { attack: 'extraction', model: 'fraud', keys: attackerKeys.slice(0, 10), rotate: 'round-robin', queries, ...benign, variant: '10 keys' },
  {
    attack: 'extraction',
    model: 'fraud',
    keys: attackerKeys.slice(0, 10),
    rotate: 'round-robin',
    queries,
    strategy: 'random',
    respectIntegers: true,
    ...benign,
    variant: '10 keys, data-free, integers rounded',
  },
  {
    attack: 'extraction',
    model: 'fraud',
    keys: attackerKeys.slice(0, 10),
    rotate: 'round-robin',
    queries,
    strategy: 'natural',
    respectIntegers: true,
    ...benign,
    variant: 'adaptive: 10 keys, natural rows, integers rounded',
  },
  { attack: 'extraction', model: 'digits', keys: attackerKeys.slice(0, 10), rotate: 'round-robin', queries, ...benign, variant: '10 keys' },
  digitsDataFree,
  {
    attack: 'extraction',
    model: 'digits',
    keys: attackerKeys.slice(0, 10),
    rotate: 'round-robin',
    queries,
    strategy: 'natural',
    ...benign,
    variant: 'adaptive: 10 keys, natural images',
  },
  { ...digitsDataFree, policy: digitsTighten, variant: '10 keys, data-free; policy with a tighten level (budget ÷ 100 from 9 risk points)' },
  { attack: 'evasion', model: 'fraud', keys: attackerKeys.slice(0, 4), identityPerRun: true, ...benign, variant: 'one key per method' },
  { attack: 'evasion', model: 'fraud', keys: attackerKeys, rotate: 'round-robin', ...benign, variant: '20 keys, round-robin' },
  {
    attack: 'evasion',
    model: 'fraud',
    keys: attackerKeys.slice(0, 4),
    identityPerRun: true,
    blind: 0.25,
    ...benign,
    variant: 'adaptive: query blinding ±0.25 sd',
  },
  { attack: 'evasion', model: 'digits', keys: attackerKeys.slice(0, 4), identityPerRun: true, ...benign, variant: 'one key per method' },
  { attack: 'evasion', model: 'digits', keys: attackerKeys, rotate: 'round-robin', ...benign, variant: '20 keys, round-robin' },
  {
    attack: 'evasion',
    model: 'digits',
    keys: attackerKeys.slice(0, 4),
    identityPerRun: true,
    blind: 0.125,
    ...benign,
    variant: 'adaptive: query blinding ±2 grey levels',
  },
  {
    attack: 'evasion',
    model: 'digits',
    keys: attackerKeys.slice(0, 4),
    identityPerRun: true,
    blind: 0.1875,
    ...benign,
    variant: 'adaptive: query blinding ±3 grey levels',
  },
];
const runs: AttackRun[] = [];
const utility: Report['utility'][number][] = [];
for (const { attack, model, policy, ...plan } of steps) {
  process.stdout.write(`${attack} on ${model} (${plan.variant})…\n`);
  const { report } = await runAttacks({
    ...plan,
    attacks: [attack],
    scenarios: { [attack]: scenario(model) },
    policies: [policy ?? policyOf(model)],
    seed: 1,
    quick,
    progress: false,
  });
  // One target column for both models: "recommended".
  for (const r of report.runs) runs.push({ ...r, target: r.target === 'unguarded' ? 'unguarded' : 'recommended' });
  for (const u of report.utility) {
    const t = u.target === 'unguarded' ? 'unguarded' : 'recommended';
    if (!utility.some((x) => x.model === u.model && x.target === t)) utility.push({ ...u, target: t });
  }
}

// False positives in process, on benign rows the models were not trained on.
const fp: string[] = ['| detector | model | benign rows | flagged | rate (95% interval) |', '|---|---|---:|---:|---|'];
const fpRow = (det: string, model: string, flagged: number, n: number) => {
  const e = rate(flagged, n);
  fp.push(`| ${det} | ${model} | ${n} | ${flagged} | ${e.value.toFixed(4)} (${e.lo.toFixed(4)}–${e.hi.toFixed(4)}) |`);
};
for (const model of ['fraud', 'digits'] as const) {
  const m = await loadOnnxClassifier(modelPath(model));
  const profile = `${root}policies/profiles/${model}.json`;
  const rows = (model === 'fraud' ? fraudData().test.x : digitsData().test.x) as number[][];
  // ood at its calibrated 1% threshold, one row per call.
  let flagged = 0;
  const oodPredict = createBulwark({
    guards: [ood({ profile, action: 'deny' })],
  }).wrap((r: number[][]) => m.predict(r));
  for (const row of rows) if ((await oodPredict([row], { principal: 'benign' }).catch(() => 'refused')) === 'refused') flagged++;
  fpRow('ood (Mahalanobis, targetFpr 0.01)', model, flagged, rows.length);
  // near-duplicates over distinct benign rows (fraud: held-out; digits: training and held-out images).
  const nd =
    model === 'fraud'
      ? nearDuplicates({ profile, cells: 'equal-frequency', levels: 100, window: 8, keep: 1 }, { stores: { memory: new MemoryStore() } })
      : nearDuplicates({ range: [0, 16], levels: 8, window: 16 }, { model: { name: 'digits', features: 64 }, stores: { memory: new MemoryStore() } });
  const stream =
    model === 'fraud'
      ? rows
      : [
          ...readFileSync(`${root}packages/models/data/digits-train.csv`, 'utf8')
            .trim()
            .split('\n')
            .slice(1)
            .map((l) => l.split(',').slice(0, 64).map(Number)),
          ...rows,
        ];
  const ndPredict = createBulwark({ guards: [nd] }).wrap((r: number[][]) => m.predict(r));
  flagged = 0;
  for (const [i, row] of stream.entries()) if ((await ndPredict([row], { principal: `user-${i % 50}` }).catch(() => 'refused')) === 'refused') flagged++;
  fpRow('near-duplicates (recommended settings)', model, flagged, stream.length);
  // PRADA: benign callers each sending 300 distinct rows one at a time, a caller flagged when W
  // ever drops below its threshold (the default, 0.9). Fraud: fresh draws from the data's
  // distribution, a new set per caller; digits: a random 300 of the 1,797 images per caller (the
  // sets overlap between callers, never within one).
  const callers = quick ? 20 : 400;
  const per = 300;
  const pick = new Rng(99);
  const lowest: number[] = [];
  for (let c = 0; c < callers; c++) {
    let low = 1;
    const predict = createBulwark({
      // Threshold 1 reports every test's W; the caller is flagged at the default (0.9) when one is below it.
      guards: [extractionDetection({ profile, threshold: 1 }, { stores: { memory: new MemoryStore() } })],
      onDecision: (d) => {
        const w = d.attributes?.['bulwark.extraction.w'];
        if (typeof w === 'number') low = Math.min(low, w);
      },
    }).wrap((r: number[][]) => m.predict(r));
    const rowsOf = model === 'fraud' ? fraudRows(per, 5000 + c).map((r) => r.slice(0, 8)) : pick.shuffle(stream).slice(0, per);
    for (const row of rowsOf) await predict([row], { principal: `benign-${c}` });
    lowest.push(low);
  }
  lowest.sort((a, b) => a - b);
  const flaggedStreams = lowest.filter((w) => w < 0.9).length;
  const e = rate(flaggedStreams, callers);
  fp.push(
    `| extraction-detection (PRADA, W < 0.9 on log distances; honest callers' lowest W: min ${(lowest[0] as number).toFixed(3)}, 1st percentile ${(lowest[Math.floor(callers / 100)] as number).toFixed(3)}) | ${model} | ${callers} callers × ${per} rows | ${flaggedStreams} callers | ${e.value.toFixed(4)} (${e.lo.toFixed(4)}–${e.hi.toFixed(4)}) of callers |`,
  );
  await m.close();
}

// Feature squeezing on digits: calibrated on half of the held-out images, judged on the other half,
// on naive adversarial examples crafted against the unguarded model, and on those of the adaptive
// attacker who crafts on the squeezer's grid (test/helpers/adversarial-digits.ts).
const squeezeLines: string[] = [];
{
  const m = await loadOnnxClassifier(modelPath('digits'));
  const infer = (rows: number[][]) => m.predict(rows);
  const test = digitsData().test.x as number[][];
  const targets = test.slice(225, quick ? 255 : 345);
  const attempts = 2 * targets.length; // score-based and HopSkipJump, one search per image each
  const adversarial = await naiveAdversarialDigits(infer, targets, test.slice(0, 225));
  squeezeLines.push(
    `| squeezer | threshold (5%, 225 calibration images) | clean images flagged (95% interval) | naive: examples found (of ${attempts} searches) | naive: caught (95% interval) | adaptive, on the squeezer's grid: examples found (of ${attempts}) | adaptive: caught (95% interval) |`,
    '|---|---:|---|---:|---|---:|---|',
  );
  const share = (k: number, n: number) => {
    const e = rate(k, n);
    return `${k}/${n}: ${e.value.toFixed(3)} (${e.lo.toFixed(2)}–${e.hi.toFixed(2)})`;
  };
  for (const bits of [2, 3, 4]) {
    const o = { squeezers: [{ kind: 'bit-depth' as const, bits }], range: [0, 16] as const, shape: [8, 8] as const };
    const cal = test.slice(0, 225);
    const threshold = squeezingThreshold(await squeezingScores(cal, await infer(cal), infer, o), 0.05);
    const clean = test.slice(225);
    const caught = async (rows: number[][]) => (await squeezingScores(rows, await infer(rows), infer, o)).filter((v) => v > threshold).length;
    const found = await onGridAdversarialDigits(infer, targets, test.slice(0, 225), bits);
    const adaptive = found.map((e) => e.adversarial);
    // What the adaptive attacker claims, checked on the model: each example within L∞ 4 grey levels
    // (0.25 of the range) of its clean image, and labelled otherwise.
    const before = (await infer(found.map((e) => [...e.original]))).map((p) => p.label);
    const after = (await infer(adaptive)).map((p) => p.label);
    found.forEach((e, i) => {
      const far = Math.max(...e.adversarial.map((v, j) => Math.abs(v - (e.original[j] as number))));
      if (far > 4 + 1e-9 || before[i] === after[i]) throw new Error(`adaptive squeezing example ${i}: L∞ ${far}, label ${before[i]} → ${after[i]}`);
    });
    squeezeLines.push(
      `| bit depth ${bits} | ${threshold.toFixed(3)} | ${share(await caught(clean), clean.length)} | ${adversarial.length} | ${share(await caught(adversarial), adversarial.length)} | ${adaptive.length} | ${adaptive.length === 0 ? 'not measured (no example)' : share(await caught(adaptive), adaptive.length)} |`,
    );
  }
  // Median smoothing (Xu et al.'s other squeezer): on 8×8 images a 2×2 or 3×3 median changes a
  // clean image's answer about as much as an adversarial one's, so its 5% threshold is near the
  // largest L1 distance there is (2); an adaptive attacker has nothing to beat.
  for (const size of [2, 3]) {
    const o = { squeezers: [{ kind: 'median' as const, size }], range: [0, 16] as const, shape: [8, 8] as const };
    const cal = test.slice(0, 225);
    const threshold = squeezingThreshold(await squeezingScores(cal, await infer(cal), infer, o), 0.05);
    const clean = test.slice(225);
    const caught = async (rows: number[][]) => (await squeezingScores(rows, await infer(rows), infer, o)).filter((v) => v > threshold).length;
    const cleanFlagged = await caught(clean);
    const naiveCaught = await caught(adversarial);
    // Caught no more often than clean images are flagged (the intervals overlap): nothing to beat.
    const adaptiveCell =
      rate(naiveCaught, adversarial.length).lo <= rate(cleanFlagged, clean.length).hi
        ? 'not run: the naive attacker is caught no more often than clean images are flagged (intervals overlap)'
        : 'not measured';
    squeezeLines.push(
      `| median ${size}×${size} | ${threshold.toFixed(3)} | ${share(cleanFlagged, clean.length)} | ${adversarial.length} | ${share(naiveCaught, adversarial.length)} | – | ${adaptiveCell} |`,
    );
  }
  await m.close();
}

// PRADA against the lab's extractions, in process: is a key that extracts told apart from the
// honest callers above at the same threshold? 10 keys round-robin, each key its own state.
const pradaLines: string[] = [
  '| model | extraction (10 keys, round-robin) | keys flagged (of 10) | rows sent by a key before it was flagged | lowest W of any key (tests from 100 distances) |',
  '|---|---|---:|---|---:|',
];
for (const model of ['fraud', 'digits'] as const) {
  const m = await loadOnnxClassifier(modelPath(model));
  const sc = scenario(model);
  const evalX = sc.evaluation.x.slice(0, 200);
  const targetLabels = (await m.predict(evalX)).map((p) => p.label);
  const integerFeatures = sc.bounds.map((_, j) => j).filter((j) => sc.pool.every((r) => Number.isInteger(r[j])));
  const variants: [string, Partial<Parameters<typeof extractionAttack>[1]>][] = [
    ['perturbation (active: the least certain of perturbed rows)', { strategy: 'active' }],
    ['synthetic (data-free, uniform in the feature box)', { strategy: 'random' }],
    ['natural (own rows, little noise)', { strategy: 'natural' }],
    ['adaptive: natural, half of the rows plain rows of its own', { strategy: 'natural', benignShare: 0.5 }],
  ];
  for (const [name, v] of variants) {
    // The lab sends one call at a time: the key of the call being judged, and its rows so far.
    const sent = new Map<string, number>();
    const flaggedAt = new Map<string, number>();
    let current = '';
    let lowest = 1;
    const predict = createBulwark({
      // Threshold 1 reports every test's W; a key is flagged at the default (W < 0.9) when one is below it.
      guards: [extractionDetection({ profile: `${root}policies/profiles/${model}.json`, threshold: 1 }, { stores: { memory: new MemoryStore() } })],
      onDecision: (d) => {
        const w = d.attributes?.['bulwark.extraction.w'];
        if (typeof w !== 'number') return;
        lowest = Math.min(lowest, w);
        if (w < 0.9 && !flaggedAt.has(current)) flaggedAt.set(current, sent.get(current) ?? 0);
      },
    }).wrap((r: number[][]) => m.predict(r));
    const counting: PredictLike = (rows, o) => {
      current = JSON.stringify(o?.principal);
      sent.set(current, (sent.get(current) ?? 0) + rows.length);
      return predict(rows as number[][], o as Parameters<typeof predict>[1]);
    };
    await extractionAttack(createTarget('guarded', functionTransport(counting), { keys: attackerKeys.slice(0, 10), rotate: 'round-robin' }), {
      pool: sc.pool,
      bounds: sc.bounds,
      evaluation: { x: evalX, targetLabels },
      classes: sc.classes,
      strategy: 'active',
      checkpoints: [quick ? 600 : 3000],
      seed: 1,
      ...(model === 'fraud' ? { integerFeatures } : {}),
      ...v,
    });
    const at = [...flaggedAt.values()].sort((a, b) => a - b);
    pradaLines.push(`| ${model} | ${name} | ${flaggedAt.size} | ${at.length === 0 ? '–' : at.join(', ')} | ${lowest.toFixed(3)} |`);
  }
  await m.close();
}

/** What an extraction run inside a day got, for its table. */
const extractionGot = (r: ExtractionResult) => ({
  got: r.fidelity === undefined ? `no clone (${r.inconclusive ?? 'inconclusive'})` : `a clone of fidelity ${r.fidelity.value.toFixed(3)} (n ${r.fidelity.n})`,
  stats: r.stats,
});
/** What an evasion run inside a day got (`what`: rows, images), for its table. */
const evasionGot = (what: string) => (r: EvasionResult) => ({
  got: `${r.successPerWanted.value.toFixed(3)} of the ${what} it wanted flipped (n ${r.successPerWanted.n})`,
  stats: r.stats,
});

/** The attacker's keys, round-robin, against a guarded call (an attack run inside a day). */
const target = (p: PredictLike, keys: number) => createTarget('guarded', functionTransport(p), { keys: attackerKeys.slice(0, keys), rotate: 'round-robin' });

/** The lab's score-based search over 20 keys on the scenario's first 20 rows to flip (`what`: rows, images). */
function scoreSearch(p: PredictLike, sc: Scenario, what: string) {
  const evasion = sc.evasion as NonNullable<Scenario['evasion']>;
  return evasionAttack(target(p, 20), {
    samples: evasion.samples.slice(0, 20),
    // -1: any label (every row is one the attacker wants moved), as the lab reads it.
    sourceLabel: evasion.sourceLabel < 0 ? undefined : evasion.sourceLabel,
    method: 'score',
    epsilon: evasion.epsilon,
    featureScale: evasion.scale,
    bounds: sc.bounds,
    mutable: evasion.mutable,
    maxQueriesPerSample: quick ? 50 : 200,
    seed: 1,
  }).then(evasionGot(what));
}

/** The policy with extra options for every guard of one kind (a variant measured beside the policy). */
function withOptions(policy: Policy, use: string, extra: object): Policy {
  return { ...policy, guards: (policy.guards ?? []).map((g) => (g.use === use ? { ...g, with: { ...(g.with as object), ...extra } } : g)) };
}

type AttackInDay = { name: string; day: DayResult & { during?: DuringAttack<{ got: string; stats: TargetStats }> } };

/** The honest callers' figures while each attack ran inside the day, one row per attack. */
function duringTable(model: string, attacks: readonly AttackInDay[]): string[] {
  const lines = [
    `| ${model}: attack inside the day (from 14:00) | attacker got | detection | honest rows while it ran | with the unguarded label | honest rows refused | honest callers flagged while it ran |`,
    '|---|---|---|---:|---:|---|---|',
  ];
  for (const a of attacks) {
    const w = a.day.during;
    if (w === undefined) continue;
    const s = w.result.stats;
    const detection = s.detected
      ? `after ${s.detected.rowsSent} rows (${s.detected.code}); ${s.rowsAnswered} of ${s.rowsSent} answered`
      : `not detected; ${s.rowsAnswered} of ${s.rowsSent} answered`;
    const agree = rate(w.agreeingRows, w.rows);
    const refusedHonest =
      Object.entries(w.refusedRows)
        .map(([c, n]) => `${n} ${c}`)
        .join(', ') || '0';
    const flaggedHonest =
      Object.entries(w.flaggedCallers)
        .map(([g, n]) => `${g} ${n}`)
        .join(', ') || 'none';
    lines.push(
      `| ${a.name} (${((w.endMs - w.startMs) / 60_000).toFixed(0)} min) | ${w.result.got} | ${detection} | ${w.rows} | ${agree.value.toFixed(4)} (${agree.lo.toFixed(4)}–${agree.hi.toFixed(4)}) | ${refusedHonest} | ${flaggedHonest} |`,
    );
  }
  return lines;
}

/** Per policy variant and guard: the honest callers a day flagged, and what their rows got. */
function dayTable(variants: readonly [string, DayResult][]): string[] {
  const lines = [
    '| policy | guard | callers flagged (95% interval) | of them, only on a retry | rows refused | rows with the unguarded label |',
    '|---|---|---|---:|---:|---:|',
  ];
  for (const [name, r] of variants) {
    // Every guard of the policy, those that flagged nobody included (mask-output rounds for everyone).
    const guards = r.guards.filter((g) => g !== 'mask-output');
    const refused = Object.entries(r.refusedRows)
      .map(([code, n]) => `${n} ${code}`)
      .join(', ');
    const agree = rate(r.agreeingRows, r.rows);
    const tail = `${refused || '0'} | ${agree.value.toFixed(4)} (${agree.lo.toFixed(4)}–${agree.hi.toFixed(4)}) |`;
    for (const g of guards) {
      const k = r.flaggedCallers[g] ?? 0;
      const e = rate(k, r.callers);
      lines.push(
        `| ${name} | ${g} | ${k} of ${r.callers}: ${e.value.toFixed(3)} (${e.lo.toFixed(3)}–${e.hi.toFixed(3)}) | ${r.flaggedOnRetryOnly[g] ?? 0} | ${tail}`,
      );
    }
  }
  return lines;
}

// A simulated day of benign traffic (scripts/lib/day-stream.ts) under the recommended policy, with
// 1% of calls retried; then with near-duplicates matching retries (its behaviour before
// `repeats: answer`), and PRADA alone on the same day.
const dayLines: string[] = [];
const duringLines: string[] = [];
{
  const m = await loadOnnxClassifier(modelPath('fraud'));
  const predict = (r: number[][]) => m.predict(r);
  const policy = await loadPolicy(policyOf('fraud'));
  // About 50,000 rows a day over 400 callers: enough callers that none flagged bounds the rate
  // under 1% at 95%; chance collisions in near-duplicates' global index grow with the square of
  // the day's volume, so a busier service should measure its own day (docs/detection.md).
  const day = { callers: quick ? 40 : 400, medianRows: 75, batchCallers: quick ? 2 : 5, retryRate: 0.01, seed: 11 };
  const silent: Logger = { warn() {}, info() {} };
  const fromPolicy = (p: Policy) => (store: MemoryStore) =>
    guardsFromPolicy(p, { model: m.descriptor, stores: { memory: store }, logger: silent, infer: predict });
  const nearDuplicatesWith = (extra: object): Policy => withOptions(policy, 'near-duplicates', extra);
  const variants: [string, DayResult][] = [
    ['recommended policy', await runBenignDay(day, predict, fromPolicy(policy))],
    ['recommended, near-duplicates with `repeats: match`', await runBenignDay(day, predict, fromPolicy(nearDuplicatesWith({ repeats: 'match' })))],
    // The opt-in caller-rate test of ood: a day's heavy honest callers must not meet it.
    ['recommended, ood with `callerRate` (opt-in)', await runBenignDay(day, predict, fromPolicy(withOptions(policy, 'ood', { callerRate: {} })))],
    [
      'recommended, near-duplicates with `levels: 20` (its setting before this day was measured)',
      await runBenignDay(day, predict, fromPolicy(nearDuplicatesWith({ levels: 20 }))),
    ],
    [
      'extraction-detection (PRADA) alone',
      await runBenignDay(day, predict, (store) => [extractionDetection({ profile: `${root}policies/profiles/fraud.json` }, { stores: { memory: store } })]),
    ],
  ];
  // The same day with an attack inside it, from 14:00: how the honest callers fare while it runs
  // (issue 11: benign top-1 agreement while an attack is running), and what the attacker gets
  // with the day's traffic around it.
  // The attack lab's fraud scenario (what `bulwark attack` and the runs above use): the attacker's
  // rows, the feature box, the fraud rows to flip and what a fraudster can change.
  const fraud = scenario('fraud');
  const evaluation = fraud.evaluation.x.slice(0, 1000);
  const reference = (await m.predict(evaluation)).map((p) => p.label);
  const integerFeatures = fraud.bounds.map((_, j) => j).filter((j) => fraud.pool.every((r) => Number.isInteger(r[j])));
  const attacksInDay = [
    {
      // Paced: a query every 10 s, so that its hour holds a few thousand honest rows.
      name: 'score-based evasion, 20 keys round-robin, 20 transactions (a query every 10 s)',
      day: await runBenignDay(day, predict, fromPolicy(policy), {
        atMs: 14 * 3_600_000,
        everyMs: 10_000,
        run: (p) => scoreSearch(p, fraud, 'rows'),
      }),
    },
    {
      name: `natural-data extraction, 10 keys round-robin, ${queries.toLocaleString('en')} rows in batches of 25 (a batch every 30 s)`,
      day: await runBenignDay(day, predict, fromPolicy(policy), {
        atMs: 14 * 3_600_000,
        everyMs: 30_000,
        run: (p) =>
          extractionAttack(target(p, 10), {
            pool: fraud.pool,
            bounds: fraud.bounds,
            evaluation: { x: evaluation, targetLabels: reference },
            classes: fraud.classes,
            strategy: 'natural',
            integerFeatures,
            checkpoints: [queries],
            batchSize: 25,
            seed: 1,
          }).then(extractionGot),
      }),
    },
  ];
  writeFileSync(
    join(out, 'day-stream.json'),
    `${JSON.stringify({ ...Object.fromEntries(variants), ...Object.fromEntries(attacksInDay.map((a) => [`recommended policy, ${a.name}`, a.day])) }, null, 2)}\n`,
  );
  duringLines.push(...duringTable('fraud', attacksInDay));
  const first = variants[0]?.[1] as DayResult;
  dayLines.push(
    `Fraud: ${first.callers} callers (${day.batchCallers} of them sending hourly batches of 25 rows, the others one row a call, log-normal volumes around ${day.medianRows} a day), ${first.calls.toLocaleString('en')} calls and ${first.rows.toLocaleString('en')} rows over 24 simulated hours, ${first.retries} of the calls retries (1%, the same caller and row 2-30 s later); every row a fresh draw from the fraud data's distribution. A caller is "flagged" by a guard when any of its calls met a decision of that guard other than allow (mask-output's rounding for everyone aside).`,
    '',
    ...dayTable(variants),
  );
  await m.close();
}

// The digits model's day: its data has 1,797 images, of which the 450 held-out ones are the
// attacker's, so the day is small (about 1,100 training images over 100 callers, each sent once)
// and so are the figures' n; the attacks inside it are paced slowly so that honest calls fall in
// their window.
{
  const m = await loadOnnxClassifier(modelPath('digits'));
  const predict = (r: number[][]) => m.predict(r);
  const policy = await loadPolicy(policyOf('digits'));
  // The training images only: the held-out ones are the attacker's (the lab's digits scenario).
  const images = new Rng(13).shuffle(
    readFileSync(`${root}packages/models/data/digits-train.csv`, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').slice(0, 64).map(Number)),
  );
  const day = { callers: quick ? 30 : 100, medianRows: 7, batchCallers: 0, retryRate: 0.01, seed: 12, rows: (n: number) => images.slice(0, n) };
  const silent: Logger = { warn() {}, info() {} };
  const buildFrom = (p: Policy) => (store: MemoryStore) =>
    guardsFromPolicy(p, { model: m.descriptor, stores: { memory: store }, logger: silent, infer: predict });
  const build = buildFrom(policy);
  const buildWithRate = buildFrom(withOptions(policy, 'ood', { callerRate: {} }));
  const digits = scenario('digits');
  const evaluation = digits.evaluation.x.slice(0, 225);
  const reference = (await m.predict(evaluation)).map((p) => p.label);
  const variants: [string, DayResult][] = [
    ['recommended-digits policy', await runBenignDay(day, predict, build)],
    ['recommended-digits, ood with `callerRate` (opt-in)', await runBenignDay(day, predict, buildWithRate)],
  ];
  // The lab's data-free extraction over 10 keys, paced: a batch of 25 every 2 minutes.
  const dataFree = (p: PredictLike) =>
    extractionAttack(target(p, 10), {
      pool: [],
      bounds: digits.bounds,
      evaluation: { x: evaluation, targetLabels: reference },
      classes: digits.classes,
      strategy: 'random',
      checkpoints: [queries],
      batchSize: 25,
      seed: 1,
    }).then(extractionGot);
  const attacksInDay: AttackInDay[] = [
    {
      name: 'score-based evasion, 20 keys round-robin, 20 images (a query every 5 min)',
      day: await runBenignDay(day, predict, build, {
        atMs: 14 * 3_600_000,
        everyMs: 300_000,
        run: (p) => scoreSearch(p, digits, 'images'),
      }),
    },
    {
      name: `data-free extraction, 10 keys round-robin, ${queries.toLocaleString('en')} rows in batches of 25 (a batch every 2 min)`,
      day: await runBenignDay(day, predict, build, { atMs: 14 * 3_600_000, everyMs: 120_000, run: dataFree }),
    },
    {
      name: `the same extraction, with ood's \`callerRate\` (opt-in)`,
      day: await runBenignDay(day, predict, buildWithRate, { atMs: 14 * 3_600_000, everyMs: 120_000, run: dataFree }),
    },
  ];
  const first = variants[0]?.[1] as DayResult;
  dayLines.push(
    '',
    `Digits: ${first.callers} callers (one image a call, log-normal volumes around ${day.medianRows} a day), ${first.calls.toLocaleString('en')} calls and ${first.rows.toLocaleString('en')} rows over 24 simulated hours, ${first.retries} of the calls retries; every training image at most once (the held-out images are the attacker's; the data has no more), so the figures' n is small.`,
    '',
    ...dayTable(variants),
  );
  duringLines.push('', ...duringTable('digits', attacksInDay));
  const written = JSON.parse(readFileSync(join(out, 'day-stream.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    join(out, 'day-stream.json'),
    `${JSON.stringify({ ...written, ...Object.fromEntries(variants.map(([n, r]) => [`digits: ${n}`, r])), ...Object.fromEntries(attacksInDay.map((a) => [`digits: recommended-digits policy, ${a.name}`, a.day])) }, null, 2)}\n`,
  );
  await m.close();
}

const minutes = (Date.now() - started) / 60_000;
const report: Report = {
  title: 'Bulwark detection: the recommended policies against extraction and evasion, naive and adaptive',
  seed: 1,
  attacker: {
    data: 'per model, as in the attack lab presets (docs/attack-lab.md); data-free extraction: uniform queries in the feature box',
    identities: 'up to 20 API keys listed in the recommended policies (sk_lab_attacker_01 … _20), round-robin where the variant says so',
    queryBudget: `extraction ${queries.toLocaleString('en')} queries; evasion ${quick ? '100 / 300' : '200 / 400 / 1,000'} per row (score / decision / HopSkipJump)`,
    timeBudget: 'waits out a Retry-After of up to 2 s, else next key or stop',
  },
  runs,
  utility,
  gates: [],
};
writeReport(out, 'detection', report);

const targets = ['unguarded', 'recommended'];
const rowKey = (r: AttackRun) => `${r.model}: ${describeRun(r.result)}${r.variant ? ` [${r.variant}]` : ''}`;
const cell = (r: AttackRun | undefined) => {
  if (r === undefined) return '–';
  // Evasion: successes per row the attacker wanted flipped, comparable whether the defence let it
  // attempt them or refused it (the per-attempt rate of a refused search is "not measured").
  if (r.result.attack === 'evasion') {
    const e = r.result.successPerWanted;
    return `${e.value.toFixed(3)} (${e.lo.toFixed(2)}–${e.hi.toFixed(2)})`;
  }
  const h = headline(r.result);
  if (h.estimate === undefined) return 'not measured';
  const change = changeAgainst(r, baselineOf(report, r));
  return `${h.estimate.value.toFixed(3)} (${h.estimate.lo.toFixed(2)}–${h.estimate.hi.toFixed(2)})${change.real ? ' †' : ''}`;
};
const detectedAt = (r: AttackRun | undefined) => {
  const s = r && 'stats' in r.result ? r.result.stats : undefined;
  if (!s) return '–';
  const refused = Object.entries(s.refusals)
    .map(([code, k]) => `${code}×${k}`)
    .join(', ');
  const tail = `${s.rowsAnswered} of ${s.rowsSent} rows answered${refused ? `; refused: ${refused}` : ''}`;
  return s.detected ? `after ${s.detected.rowsSent} rows (${s.detected.code}); ${tail}` : `not detected; ${tail}`;
};
const lines = ['| attack | metric (n) | unguarded | recommended | detection (recommended) |', '|---|---|---:|---:|---|'];
for (const key of [...new Set(runs.map(rowKey))]) {
  const row = runs.filter((x) => rowKey(x) === key);
  const first = row[0] as AttackRun;
  const n = headline(first.result).estimate?.n;
  const rec = row.find((x) => x.target === 'recommended');
  const metric = first.result.attack === 'evasion' ? 'flipped per wanted row' : headline(first.result).metric;
  const nn = first.result.attack === 'evasion' ? first.result.successPerWanted.n : n;
  lines.push(
    `| ${key} | ${metric}${nn === undefined ? '' : ` (n ${nn})`} | ${targets.map((t) => cell(row.find((x) => x.target === t))).join(' | ')} | ${detectedAt(rec)} |`,
  );
}
lines.push('', '| utility for the benign user | metric (n) | unguarded | recommended |', '|---|---|---:|---:|');
const fmt = (e: { value: number; lo: number; hi: number } | undefined) =>
  e === undefined ? '–' : `${e.value.toFixed(3)} (${e.lo.toFixed(2)}–${e.hi.toFixed(2)})`;
for (const m of [...new Set(utility.map((u) => u.model))]) {
  const us = utility.filter((u) => u.model === m);
  const rec = us.find((u) => u.target === 'recommended');
  lines.push(
    `| ${m} | agreement with unguarded (n ${rec?.labelAgreement.n}) | ${fmt(us.find((u) => u.target === 'unguarded')?.labelAgreement)} | ${fmt(rec?.labelAgreement)} |`,
  );
  lines.push(`| ${m} | refused (n ${rec?.refused.n}) | ${fmt(us.find((u) => u.target === 'unguarded')?.refused)} | ${fmt(rec?.refused)} |`);
}
const table = lines.join('\n');
const fpTable = `${fp.join('\n')}\n\nPRADA (\`extraction-detection\`, its defaults: W < 0.9 on log distances) against the attack lab's extractions, in process, 10 keys round-robin, ${quick ? 600 : 3000} rows in batches of 25:\n\n${pradaLines.join('\n')}\n\nA day of benign traffic (in process on a simulated clock), per model:\n\n${dayLines.join('\n')}\n\nThe same days under the recommended policies with an attack inside them:\n\n${duringLines.join('\n')}\n\nFeature squeezing (digits; score-based and HopSkipJump examples within L∞ 0.25 of the range, 4 grey levels: naive, and adaptive, crafted on the squeezer's grid):\n\n${squeezeLines.join('\n')}`;
const runtime = `\`pnpm detection\` took ${minutes.toFixed(1)} min on the 2-core machine (${new Date().toISOString().slice(0, 10)}).`;
if (!quick) {
  fillSections(join(root, 'docs/detection.md'), { detection: table, 'false-positives': fpTable, runtime });
}
writeFileSync(join(out, 'detection-table.md'), `${table}\n\n${fpTable}\n`);
process.stdout.write(`${table}\n\n${fpTable}\n\n${runtime}\n`);
