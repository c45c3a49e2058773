/**
 * `pnpm audit:privacy [--quick] [--only=audit|attacks] [--out <dir>]`: the privacy audit of the
 * dp-noise mechanisms, written to docs/privacy.md between the generated markers and to
 * docs/reports/privacy.json.
 *
 * audit    the statistical audit: Google's histogram test at ε = ln 3 (1,000,000 samples per side,
 *          9 votes, tolerance 0.0025) on every shipped mechanism and on the negative controls;
 *          a Clopper-Pearson lower bound on ε; 10,000,000 releases checked for off-grid values;
 *          the latency of a noise call against the size of its noise over 1,000,000 calls.
 * attacks  attack lab v2 over HTTP against `bulwark serve`: membership (threshold, LiRA,
 *          label-only) on the leaky model for raw, rounded, label-only, dp-noise at several ε,
 *          reverse sigmoid and the recommended policy (policies/privacy.yaml); the averaging
 *          attack (1,000 identical or jittered repeats) on the fraud model; benign utility.
 * --quick (the test suite's version) uses smaller N and quick attack budgets, and writes to --out only.
 */

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AttackRun, auditCases, correlation, type Estimate, epsilonLowerBound, type UtilityRow, verifyDp } from '@bulwark/attack-lab';
import { Bits, ConsistentNoise, cryptoRandom, laplaceScale, NoisePool, quantiseRow, releaseScores, sampleNoise } from '@bulwark/core';
import { runAttacks } from '../packages/cli/src/attack/run.js';
import { scenario } from '../packages/cli/src/attack/scenarios.js';
import { fillSections } from './lib/generated.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
const outArg = args.indexOf('--out');
const out = outArg >= 0 ? (args[outArg + 1] as string) : quick ? undefined : join(root, 'docs/reports');
if (out === undefined || (only !== undefined && only !== 'audit' && only !== 'attacks')) {
  process.stderr.write('usage: pnpm audit:privacy [--quick --out <dir>] [--only=audit|attacks]\n');
  process.exit(2);
}
const started = Date.now();
const EPS = Math.log(3);
const log = (s: string) => process.stdout.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------
// 1. Statistical audit
// ---------------------------------------------------------------------------------------------
interface AuditRow {
  name: string;
  what: string;
  expect: 'pass' | 'fail';
  passed: boolean;
  votesPassed: number;
  votes: number;
  values: number[];
  delta: number;
  epsilonLowerBound: number | undefined;
}
interface AuditOut {
  n: number;
  votes: number;
  tolerance: number;
  rows: AuditRow[];
  offGrid: { draws: number; offGrid: number };
  timing: { draws: number; consistent: number; pool: number; sampler: number };
}

function audit(): AuditOut {
  const n = quick ? 100_000 : 1_000_000;
  const votes = quick ? 3 : 9;
  // Google's tolerance is for 1,000,000 samples. At the quick run's 100,000 the exact mechanism's
  // own test value is about 0.005 (0.001-0.010 over 15 votes) and the under-noised control's
  // 0.085-0.097: 0.025 sits far from both, so the suite's version is neither flaky nor blind.
  const tolerance = quick ? 0.025 : 0.0025;
  const rows: AuditRow[] = [];
  const thresholds = Array.from({ length: 25 }, (_, i) => -2 + i / 4);
  for (const c of auditCases(EPS)) {
    const v = verifyDp(c.release, { n, epsilon: EPS, delta: c.delta, tolerance, votes });
    const lb = c.scalar !== undefined && c.delta === 0 ? epsilonLowerBound(c.scalar, thresholds, { n, alpha: 1e-3 }).epsilon : undefined;
    rows.push({
      name: c.name,
      what: c.what,
      expect: c.expect,
      passed: v.passed,
      votesPassed: v.votesPassed,
      votes,
      values: [...v.values],
      delta: c.delta,
      epsilonLowerBound: lb,
    });
    log(
      `  ${v.passed ? 'pass' : 'FAIL'} (expected ${c.expect}) ${c.name}: ${v.values.map((x) => x.toFixed(4)).join(' ')}${lb === undefined ? '' : `; ε ≥ ${lb.toFixed(3)}`}`,
    );
  }

  // Off the grid: releases before post-processing, consistent and fresh noise alike.
  const draws = quick ? 100_000 : 10_000_000;
  const lap = laplaceScale(1, 1, 1);
  const bits = new Bits(cryptoRandom);
  const consistent = new ConsistentNoise(lap, { random: cryptoRandom });
  const noise = new Float64Array(1);
  const row = new Float64Array(3);
  const raw = { normalise: false, keepLabel: false };
  let offGrid = 0;
  const u = new Uint32Array(1);
  for (let i = 0; i < draws; i++) {
    cryptoRandom.fill(new Uint8Array(u.buffer));
    const p = (u[0] as number) / 2 ** 32;
    if (i % 2 === 0) noise[0] = sampleNoise(bits, lap);
    else {
      row[0] = i;
      consistent.noiseFor('c', row, 1, noise);
    }
    const s = releaseScores([1 - p, p], 1, noise, true, raw).scores;
    if (!Number.isInteger((s[0] as number) * 2 ** 20) || !Number.isInteger((s[1] as number) * 2 ** 20)) offGrid++;
  }
  log(`  off the grid: ${offGrid} of ${draws}`);

  // Latency of one noise call against |noise|: consistent noise, the fresh pool, and (the
  // channel they close) the exact sampler called on the request.
  const timed = quick ? 100_000 : 1_000_000;
  const wide = laplaceScale(0.05, 1, 1); // wide noise: a long tail of large samples
  const cn = new ConsistentNoise(wide, { random: cryptoRandom });
  const pool = new NoisePool(wide, 4096, cryptoRandom);
  const cells = new Float64Array(3);
  const measure = (call: (i: number) => number): number => {
    const t = new Float64Array(timed);
    const z = new Float64Array(timed);
    for (let i = 0; i < 2000; i++) call(i); // warm-up
    for (let i = 0; i < timed; i++) {
      const t0 = process.hrtime.bigint();
      const v = call(i);
      t[i] = Number(process.hrtime.bigint() - t0);
      z[i] = Math.abs(v);
    }
    return correlation(t, z);
  };
  const consistentCorr = measure((i) => {
    quantiseRow([i, 2, 3], 12, cells);
    cn.noiseFor('caller', cells, 1, noise);
    return noise[0] as number;
  });
  const poolCorr = measure(() => {
    if (pool.available < 1) pool.refillNow(4096); // the refill runs between requests in the guard; not timed as part of a call here
    pool.take(1, noise);
    return noise[0] as number;
  });
  const samplerCorr = measure(() => sampleNoise(bits, wide));
  pool.close();
  log(
    `  latency vs |noise| (Pearson): consistent ${consistentCorr.toFixed(4)}, pool ${poolCorr.toFixed(4)}, exact sampler on the request ${samplerCorr.toFixed(4)}`,
  );
  return { n, votes, tolerance, rows, offGrid: { draws, offGrid }, timing: { draws: timed, consistent: consistentCorr, pool: poolCorr, sampler: samplerCorr } };
}

// ---------------------------------------------------------------------------------------------
// 2. Attacks
// ---------------------------------------------------------------------------------------------
interface PolicyRow {
  policy: string;
  description: string;
  membership: Record<
    'threshold' | 'lira' | 'label-only',
    { auc: Estimate | undefined; tpr1: Estimate | undefined; tpr01: Estimate | undefined; answered: number }
  >;
  utility: UtilityRow | undefined;
}

const sweep = quick ? [1, 4] : [0.5, 1, 2, 4, 8];
function policies(dir: string): { name: string; file: string; description: string }[] {
  const list: { name: string; file: string; description: string }[] = [];
  const write = (name: string, description: string, body: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `version: 1\nguards:\n${body}`);
    list.push({ name, file, description });
  };
  write('rounded', 'scores rounded to 2 decimals', '  - use: mask-output\n    with: { form: rounded, decimals: 2 }\n');
  write('label-only', 'labels only (the floor)', '  - use: mask-output\n    with: { form: label }\n');
  for (const e of sweep)
    write(`dp-noise-eps-${e}`, `discrete Laplace ε = ${e}, label kept`, `  - use: dp-noise\n    with: { epsilon: ${e}, keepLabel: true }\n`);
  write('dp-noise-eps-4-free-label', 'discrete Laplace ε = 4, label not kept', '  - use: dp-noise\n    with: { epsilon: 4 }\n');
  write('reverse-sigmoid', 'reverse sigmoid β = 1, γ = 1', '  - use: reverse-sigmoid\n    with: { beta: 1, gamma: 1 }\n');
  list.push({ name: 'privacy', file: join(root, 'policies/privacy.yaml'), description: 'the recommended privacy policy (policies/privacy.yaml)' });
  return list;
}

async function attacks(): Promise<{
  rows: PolicyRow[];
  averaging: {
    target: string;
    jitter: number;
    points: { repeats: number; error: Estimate }[];
    narrowing: number | undefined;
    inconclusive: string | undefined;
  }[];
}> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-privacy-'));
  const list = policies(dir);
  const keys = Array.from({ length: 4 }, (_, i) => `sk_lab_attacker_${String(i + 1).padStart(2, '0')}`);
  log('membership on leaky…');
  const { report } = await runAttacks({
    attacks: ['membership'],
    scenarios: { membership: scenario('leaky') },
    policies: list.map((p) => p.file),
    keys,
    identityPerRun: true,
    benignKeys: ['sk_lab_benign'],
    seed: 1,
    quick,
    progress: false,
  });
  const nameOf = (target: string) => list.find((p) => p.file.endsWith(`/${target}.yaml`))?.name ?? target;
  const rows: PolicyRow[] = [];
  for (const target of ['unguarded', ...list.map((p) => p.name)]) {
    const runs = report.runs.filter((r) => nameOf(r.target) === target);
    const pick = (kind: string): PolicyRow['membership']['lira'] => {
      const r = runs.find((x) => x.result.attack === kind) as AttackRun | undefined;
      const res = r?.result as
        | {
            score?: { auc: Estimate; tprAt1PctFpr: Estimate; tprAt01PctFpr: Estimate };
            best?: { score: { auc: Estimate; tprAt1PctFpr: Estimate; tprAt01PctFpr: Estimate } };
            answered?: { members: number; nonMembers: number };
          }
        | undefined;
      const score = res?.score ?? res?.best?.score;
      return {
        auc: score?.auc,
        tpr1: score?.tprAt1PctFpr,
        tpr01: score?.tprAt01PctFpr,
        answered: (res?.answered?.members ?? 0) + (res?.answered?.nonMembers ?? 0),
      };
    };
    rows.push({
      policy: target,
      description: target === 'unguarded' ? 'raw scores' : (list.find((p) => p.name === target)?.description ?? target),
      membership: { threshold: pick('membership'), lira: pick('lira'), 'label-only': pick('label-only') },
      utility: report.utility.find((u) => nameOf(u.target) === target),
    });
  }

  log('averaging on fraud…');
  const avgDir = mkdtempSync(join(tmpdir(), 'bulwark-privacy-avg-'));
  const consistentFile = join(avgDir, 'consistent.yaml');
  const freshFile = join(avgDir, 'fresh.yaml');
  // The mechanism alone (no ledger): what averaging does to the noise, not how long a budget lasts.
  writeFileSync(consistentFile, 'version: 1\nguards:\n  - use: dp-noise\n    with: { epsilon: 1, normalise: false }\n');
  writeFileSync(freshFile, 'version: 1\nguards:\n  - use: dp-noise\n    with: { epsilon: 1, noise: fresh, poolSize: 1000000, normalise: false }\n');
  const avg = await runAttacks({
    attacks: ['averaging'],
    scenarios: { averaging: scenario('fraud') },
    policies: [consistentFile, freshFile],
    keys: keys.slice(0, 1),
    seed: 1,
    quick,
    progress: false,
    averagingRepeats: quick ? [1, 10, 100] : [1, 10, 100, 1000],
    // Identical repeats; a jitter below the consistent noise's quantisation (tiny perturbations); one above it.
    averagingJitters: [0, 1e-7, 0.01],
  });
  const averaging = avg.report.runs
    .filter((r) => r.result.attack === 'averaging')
    .map((r) => {
      const res = r.result as unknown as {
        jitter: number;
        points: { repeats: number; error: Estimate }[];
        narrowing: number | undefined;
        inconclusive: string | undefined;
      };
      return { target: r.target.replace(/\.yaml$/, ''), jitter: res.jitter, points: [...res.points], narrowing: res.narrowing, inconclusive: res.inconclusive };
    });
  return { rows, averaging };
}

// ---------------------------------------------------------------------------------------------
const result: { audit?: AuditOut; attacks?: Awaited<ReturnType<typeof attacks>> } = {};
if (only !== 'attacks') {
  log('statistical audit…');
  result.audit = audit();
}
if (only !== 'audit') result.attacks = await attacks();
const minutes = (Date.now() - started) / 60_000;

const f = (e: Estimate | undefined, d = 3) => (e === undefined ? 'n/m' : `${e.value.toFixed(d)} (${e.lo.toFixed(2)}–${e.hi.toFixed(2)})`);
let auditMd = '';
if (result.audit) {
  const a = result.audit;
  auditMd = [
    `ε = ln 3; ${a.n.toLocaleString('en')} samples per side; ${a.votes} votes; tolerance ${a.tolerance.toFixed(4)}; a case passes when the majority of votes stay within δ + tolerance.`,
    '',
    '| case | expected | result | votes passed | test values (min – max) | ε lower bound (CP, α = 1e-3) |',
    '|---|---|---|---:|---|---:|',
    ...a.rows.map(
      (r) =>
        `| ${r.name} | ${r.expect} | ${r.passed ? 'pass' : 'fail'}${(r.expect === 'pass') === r.passed ? '' : ' ⚠'} | ${r.votesPassed}/${r.votes} | ${Math.min(...r.values).toFixed(4)} – ${Math.max(...r.values).toFixed(4)}${r.delta > 0 ? ` (δ = ${r.delta.toExponential(1)})` : ''} | ${r.epsilonLowerBound === undefined ? '–' : r.epsilonLowerBound.toFixed(3)} |`,
    ),
    '',
    `Off the grid: **${a.offGrid.offGrid}** of ${a.offGrid.draws.toLocaleString('en')} releases (consistent and fresh noise, before post-processing).`,
    '',
    `Latency of one noise call against the size of its noise (Pearson, ${a.timing.draws.toLocaleString('en')} calls, ε = 0.05): consistent noise **${a.timing.consistent.toFixed(4)}**, fresh pool **${a.timing.pool.toFixed(4)}**; the exact sampler called on the request (what both avoid) ${a.timing.sampler.toFixed(4)}.`,
  ].join('\n');
}
let attacksMd = '';
if (result.attacks) {
  const { rows, averaging } = result.attacks;
  attacksMd = [
    'Membership inference on the leaky model (attack lab v2 over HTTP; each value with its 95% bootstrap interval; n = records answered). Utility: benign held-out rows answered by the same server.',
    '',
    '| policy | threshold attack AUC | LiRA AUC | LiRA TPR at 1% FPR | LiRA TPR at 0.1% FPR | label-only attack AUC | top-1 agreement with raw | mean score change |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.policy}: ${r.description} | ${f(r.membership.threshold.auc)} | ${f(r.membership.lira.auc)} | ${f(r.membership.lira.tpr1)} | ${f(r.membership.lira.tpr01)} | ${f(r.membership['label-only'].auc)} | ${f(r.utility?.labelAgreement)} | ${r.utility?.meanScoreChange.toFixed(3) ?? 'n/m'} |`,
    ),
    '',
    'Averaging attack on the fraud model (dp-noise ε = 1, no ledger, no post-processing so that averages are unbiased; 50 rows, each asked up to the largest count): mean absolute error of the averaged scores against the true ones.',
    '',
    `| noise | repeats | ${averaging[0]?.points.map((p) => `error after ${p.repeats}`).join(' | ') ?? ''} | narrowing (first ÷ last) |`,
    `|---|---|${averaging[0]?.points.map(() => '---:').join('|') ?? ''}|---:|`,
    ...averaging.map(
      (a) =>
        `| ${a.target} | ${a.jitter === 0 ? 'identical' : `jittered ${a.jitter}σ`} | ${a.points.map((p) => f(p.error, 4)).join(' | ')} | ${a.inconclusive ? `inconclusive: ${a.inconclusive}` : (a.narrowing?.toFixed(2) ?? 'n/m')} |`,
    ),
  ].join('\n');
}
const runtime = `\`pnpm audit:privacy${only ? ` --only=${only}` : ''}\` took ${minutes.toFixed(1)} min on the 2-core machine (${new Date().toISOString().slice(0, 10)}).`;
mkdirSync(out, { recursive: true });
writeFileSync(join(out, `privacy${only ? `-${only}` : ''}.json`), `${JSON.stringify(result, null, 2)}\n`);
if (!quick) {
  const sections: Record<string, string> = {};
  if (result.audit) Object.assign(sections, { audit: auditMd, 'runtime-audit': runtime });
  if (result.attacks) Object.assign(sections, { attacks: attacksMd, 'runtime-attacks': runtime });
  fillSections(join(root, 'docs/privacy.md'), sections);
}
log(`${auditMd}\n\n${attacksMd}\n\n${runtime}`);
const wrong = result.audit?.rows.filter((r) => (r.expect === 'pass') !== r.passed) ?? [];
if (wrong.length > 0 || (result.audit !== undefined && result.audit.offGrid.offGrid > 0)) {
  process.stderr.write(`audit failed: ${wrong.map((r) => r.name).join(', ') || 'outputs off the grid'}\n`);
  process.exit(1);
}
