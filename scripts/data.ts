/**
 * `pnpm data [--quick]`: the data defences measured, figures into docs/data.md (`<!-- data -->`;
 * `--quick`, the test suite's version, prints them instead).
 *
 * - Drift: `bulwark validate`'s checks at their default thresholds, against the shipped fraud
 *   profile (policies/profiles/fraud.json), on fresh clean batches from the training data's
 *   distribution (scripts/lib/fraud-gen.ts: false alarms) and on shifted ones (scaled amounts, a
 *   new merchant category: which features are flagged), with sensitivity to the size of a shift.
 * - Label flipping: 5% of the fraud training labels flipped at random, and 5% targeted (fraud
 *   relabelled legitimate): precision and recall of confident learning (on 5-fold out-of-sample
 *   probabilities of a small network trained here, as a training script would produce them) and
 *   of the conflicting-label check.
 * - Backdoor: the BadNets-poisoned digits model of packages/models/poisoned (train.py --backdoor):
 *   the backdoor's attack success; spectral signatures and activation clustering on its hidden
 *   layer (precision, recall); attack success after retraining (here, the same network shape)
 *   without the flagged rows, against retraining on everything.
 * - Throughput: rows per second of validate, and its peak memory on a file of a million rows.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mlp, oneHot, Rng, wilson } from '@bulwark/attack-lab';
import { loadProfile, splitCsvLine } from '@bulwark/core';
import { activationClustering, BatchValidator, findLabelIssues, spectralSignatures, type ValidationReport, validateFile } from '@bulwark/data';
import { fraudData } from '@bulwark/models';
import { readActivations } from '@bulwark/onnx';
import { FRAUD_COLUMNS, type FraudShift, fraudRows, toCsv } from './lib/fraud-gen.js';
import { fillSections } from './lib/generated.js';

const quick = process.argv.includes('--quick');
const jsonAt = process.argv.indexOf('--json');
/** The figures, for `--json <file>` (the test suite reads them). */
const results: Record<string, unknown> & { sensitivity: unknown[]; flips: unknown[] } = { sensitivity: [], flips: [] };
const root = fileURLToPath(new URL('..', import.meta.url));
const profile = loadProfile(join(root, 'policies/profiles/fraud.json'));
const HEADER = [...FRAUD_COLUMNS, 'label'];
const BATCH = 2000;

function validateRows(rows: readonly (readonly unknown[])[], header: readonly string[] = HEADER): ValidationReport {
  const v = new BatchValidator(profile);
  v.columns(header);
  for (let i = 0; i < rows.length; i++) v.row(rows[i] as unknown[], i + 2);
  return v.finish('batch', '');
}
const flagged = (r: ValidationReport): Set<string> =>
  new Set(r.findings.filter((f) => f.severity !== 'info' && f.severity !== 'low').map((f) => (f.where ?? f.rule).replace('column ', '')));

/** k of n, its rate and 95% Wilson interval. */
function fmtRate(k: number, n: number): string {
  const { lo, hi } = wilson(k, n);
  return `${k}/${n} = ${(k / n).toFixed(3)} (${lo.toFixed(3)}–${hi.toFixed(3)})`;
}

const lines: string[] = [];
const out = (s = '') => lines.push(s);

// --- Drift: clean batches (false alarms) ---------------------------------------------------------
const cleanBatches = quick ? 30 : 500;
let alarms = 0;
const alarmBy = new Map<string, number>();
for (let b = 0; b < cleanBatches; b++) {
  const f = flagged(validateRows(fraudRows(BATCH, 10_000 + b)));
  if (f.size > 0) alarms++;
  for (const k of f) alarmBy.set(k, (alarmBy.get(k) ?? 0) + 1);
}
results.clean = { batches: cleanBatches, flagged: alarms, byFeature: Object.fromEntries(alarmBy) };
out('### Drift (`bulwark validate` at its default thresholds, shipped fraud profile)');
out();
out(
  `Batches of ${BATCH.toLocaleString('en')} rows drawn fresh from the training data's distribution (clean), or with shifts; "flagged" is a finding at medium or above.`,
);
out();
out('| batches | n | flagged (any feature) | by feature |');
out('|---|---:|---:|---|');
{
  // The shipped model's held-out split (4,000 rows the profile never saw), as one batch.
  const test = fraudData().test;
  const held = [...flagged(validateRows(test.x.map((x, i) => [...x, test.y[i] as number])))];
  results.heldOut = { rows: test.x.length, flagged: held };
  out(
    `| the shipped model's held-out split (${test.x.length.toLocaleString('en')} rows) | 1 | ${held.length === 0 ? 'not flagged' : 'flagged'} | ${held.length === 0 ? 'none' : held.join(', ')} |`,
  );
}
out(`| clean | ${cleanBatches} | ${fmtRate(alarms, cleanBatches)} | ${alarmBy.size === 0 ? 'none' : [...alarmBy].map(([k, v]) => `${k} ×${v}`).join(', ')} |`);

const shifted = quick ? 10 : 100;
const shifts: [string, FraudShift][] = [['amounts ×1.5 and 20% from a new merchant category', { amountScale: 1.5, newMerchantShare: 0.2 }]];
for (const [name, shift] of shifts) {
  let exact = 0;
  const by = new Map<string, number>();
  for (let b = 0; b < shifted; b++) {
    const f = flagged(validateRows(fraudRows(BATCH, 20_000 + b, shift)));
    if (f.size === 2 && f.has('amount_usd') && f.has('merchant_risk')) exact++;
    for (const k of f) by.set(k, (by.get(k) ?? 0) + 1);
  }
  results.shifted = { batches: shifted, exactlyShifted: exact, byFeature: Object.fromEntries(by) };
  out(`| ${name} | ${shifted} | exactly amount_usd and merchant_risk: ${fmtRate(exact, shifted)} | ${[...by].map(([k, v]) => `${k} ×${v}`).join(', ')} |`);
}
out();
out('Sensitivity: share of batches whose `amount_usd` is flagged, by the size of the scaling.');
out();
out('| amounts × | n | amount_usd flagged | median PSI | median KS |');
out('|---:|---:|---:|---:|---:|');
for (const scale of [1.05, 1.1, 1.2, 1.3, 1.5]) {
  const n = quick ? 10 : 100;
  let hit = 0;
  const psis: number[] = [];
  const kss: number[] = [];
  for (let b = 0; b < n; b++) {
    const r = validateRows(fraudRows(BATCH, 30_000 + b, { amountScale: scale }));
    if (flagged(r).has('amount_usd')) hit++;
    const a = r.features.find((f) => f.name === 'amount_usd');
    psis.push(a?.psi ?? Number.NaN);
    kss.push(a?.ks ?? Number.NaN);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1] as number;
  results.sensitivity.push({ scale, batches: n, flagged: hit });
  out(`| ${scale} | ${n} | ${fmtRate(hit, n)} | ${med(psis).toFixed(3)} | ${med(kss).toFixed(3)} |`);
}

// --- Label flipping: the conflicting-label check ---------------------------------------------------
const train = readFileSync(join(root, 'packages/models/data/fraud-train.csv'), 'utf8').trim().split('\n');
const trainHeader = splitCsvLine(train[0] as string);
const labelAt = trainHeader.indexOf('label');
const trainRows = train.slice(1).map((l) => splitCsvLine(l).map(Number));
/**
 * Out-of-fold probabilities: k small networks, each trained on the other folds (what a training
 * script would produce for confident learning). Skewed features enter as log1p.
 */
function outOfFold(rows: readonly number[][], labels: readonly number[], folds: number, seed: number): number[][] {
  const x = rows.map((r) => r.map((v, j) => (j === 0 || j === 3 || j === 7 ? Math.log1p(v) : v)));
  const probs: number[][] = new Array(rows.length);
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < rows.length; i++) (i % folds === f ? held : train).push(i);
    const m = new Mlp({ inputs: x[0]?.length ?? 0, classes: 2, hidden: 16 }, new Rng(seed + f));
    m.fit(
      train.map((i) => x[i] as number[]),
      train.map((i) => oneHot(labels[i] as number, 2)),
      { epochs: quick ? 4 : 20, learningRate: 0.005, batchSize: 64 },
      new Rng(seed + 100 + f),
    );
    for (const i of held) probs[i] = m.predictRow(x[i] as number[]);
  }
  return probs;
}

out();
out('### Label flipping (fraud training set, 20,000 rows)');
out();
out(
  'Confident learning on 5-fold out-of-sample probabilities of a 16-unit network (trained by the script, as a training script would); "flagged" is its pruned set, "top-k" its k least self-confident rows with k the number of flips. Precision and recall against the flipped rows; the unflipped data carries label noise of its own (the labels were drawn from a probability, Bayes accuracy about 0.91), which confident learning also flags.',
);
out();
out('| flips | flipped rows | method | rows flagged | precision | recall |');
out('|---|---:|---|---:|---:|---:|');
{
  const features = trainRows.map((r) => r.filter((_, j) => j !== labelAt));
  const labels = trainRows.map((r) => r[labelAt] as number);
  const li = findLabelIssues(labels, outOfFold(features, labels, 5, 7));
  results.cleanLabels = { flagged: li.ranked.length, estimatedErrors: li.estimatedErrors };
  out(`| none (the shipped labels) | 0 | confident learning, flagged | ${li.ranked.length} (estimated errors ${Math.round(li.estimatedErrors)}) | – | – |`);
}
for (const targeted of [false, true]) {
  const rng = new Rng(targeted ? 2 : 1);
  const candidates = trainRows.map((_, i) => i).filter((i) => !targeted || trainRows[i]?.[labelAt] === 1);
  const k = Math.round(0.05 * trainRows.length);
  const flip = new Set(rng.shuffle(candidates).slice(0, Math.min(k, candidates.length)));
  const rows = trainRows.map((r, i) => (flip.has(i) ? r.map((v, j) => (j === labelAt ? 1 - v : v)) : r));
  const report = validateRows(rows, trainHeader);
  // Lines are 1-based with the header on line 1: row i is line i + 2.
  const hits = report.conflictingLines.map((l) => l - 2);
  const tp = hits.filter((i) => flip.has(i)).length;
  const name = targeted ? `targeted (fraud → legitimate, ${flip.size} of ${candidates.length} fraud rows)` : 'random 5%';
  const features = rows.map((r) => r.filter((_, j) => j !== labelAt));
  const labels = rows.map((r) => r[labelAt] as number);
  const li = findLabelIssues(labels, outOfFold(features, labels, 5, targeted ? 11 : 9));
  const clTp = li.ranked.filter((i) => flip.has(i)).length;
  const topK = Array.from(li.selfConfidence.keys())
    .sort((a, b) => (li.selfConfidence[a] as number) - (li.selfConfidence[b] as number))
    .slice(0, flip.size);
  const topTp = topK.filter((i) => flip.has(i)).length;
  results.flips.push({
    targeted,
    flipped: flip.size,
    conflicting: { flagged: hits.length, truePositives: tp },
    confidentLearning: { flagged: li.ranked.length, truePositives: clTp, estimatedErrors: li.estimatedErrors, topKTruePositives: topTp },
  });
  out(
    `| ${name} | ${flip.size} | confident learning, flagged | ${li.ranked.length} (estimated errors ${Math.round(li.estimatedErrors)}) | ${li.ranked.length > 0 ? fmtRate(clTp, li.ranked.length) : 'n/a'} | ${fmtRate(clTp, flip.size)} |`,
  );
  out(`| ${name} | ${flip.size} | confident learning, top-${flip.size} | ${flip.size} | ${fmtRate(topTp, flip.size)} | ${fmtRate(topTp, flip.size)} |`);
  out(
    `| ${name} | ${flip.size} | conflicting-label check | ${hits.length} | ${hits.length > 0 ? fmtRate(tp, hits.length) : 'n/a (nothing flagged)'} | ${fmtRate(tp, flip.size)} |`,
  );
}

// --- Backdoor: spectral signatures and activation clustering ------------------------------------
results.backdoor = [];
for (const [file, heading] of [
  ['digits-backdoor', 'Backdoor (BadNets on digits: a 2×2 corner patch, relabelled 0)'],
  [
    'digits-backdoor-10',
    'Adaptive poisoner: 10% of the images, so that the poisoned rows are half of class 0 (activation clustering flags only a cluster under 35% of its class)',
  ],
] as const) {
  const specimen = JSON.parse(readFileSync(join(root, `packages/models/poisoned/${file}.json`), 'utf8')) as {
    target: number;
    rate: number;
    attackSuccess: number;
    cleanTestAccuracy: number;
    poisoned: number[];
    train: { x: number[][]; y: number[] };
    test: { x: number[][]; y: number[] };
  };
  const poisoned = new Set(specimen.poisoned);
  const trigger = (x: readonly number[]) => x.map((v, j) => (Math.floor(j / 8) >= 6 && j % 8 >= 6 ? 16 : v));
  const acts = await readActivations(join(root, `packages/models/poisoned/${file}.onnx`), 'h1', specimen.train.x);
  const share = specimen.poisoned.length / specimen.train.y.filter((y) => y === specimen.target).length;
  const detections = [
    ...[0.05, 0.1, 0.3].map((epsilon) => ({ name: `spectral signatures, ε = ${epsilon}`, result: spectralSignatures(acts, specimen.train.y, { epsilon }) })),
    { name: 'activation clustering (relative size < 0.35)', result: activationClustering(acts, specimen.train.y) },
  ];
  // Attack success of a network retrained on the rows kept: held-out images of the other classes,
  // with the trigger, classified as the target.
  const others = specimen.test.x.flatMap((x, i) => (specimen.test.y[i] === specimen.target ? [] : [trigger(x)]));
  const retrain = (keep: (i: number) => boolean, seed: number) => {
    const idx = specimen.train.x.map((_, i) => i).filter(keep);
    const m = new Mlp({ inputs: 64, classes: 10, hidden: 64 }, new Rng(seed));
    m.fit(
      idx.map((i) => specimen.train.x[i] as number[]),
      idx.map((i) => oneHot(specimen.train.y[i] as number, 10)),
      { epochs: quick ? 30 : 150, learningRate: 0.005, batchSize: 32, l2: 1e-4, scaling: { mean: new Array(64).fill(0), std: new Array(64).fill(16) } },
      new Rng(seed + 1),
    );
    const argmax = (p: number[]) => p.indexOf(Math.max(...p));
    const asr = others.filter((x) => argmax(m.predictRow(x)) === specimen.target).length;
    const acc = specimen.test.x.filter((x, i) => argmax(m.predictRow(x)) === specimen.test.y[i]).length;
    return { asr, acc };
  };
  const everything = retrain(() => true, 5);
  const backdoor: unknown[] = [];
  out();
  out(`### ${heading}`);
  out();
  out(
    `${poisoned.size} of ${specimen.train.x.length} training images poisoned (${(100 * specimen.rate).toFixed(0)}%, classes other than 0; ${(100 * share).toFixed(0)}% of the rows labelled 0). The model trained by \`train.py --backdoor${file === 'digits-backdoor' ? '' : ` ${specimen.rate}`}\` (sklearn, the shipped digits network): clean accuracy ${specimen.cleanTestAccuracy}, attack success ${specimen.attackSuccess} on triggered held-out images of the other classes. Detection reads the hidden layer \`h1\` (64 ReLU units) of that ONNX model through \`readActivations\`. Retraining uses the attack lab's network of the same shape (64 hidden units, Adam): attack success and clean accuracy on the ${others.length} triggered and ${specimen.test.x.length} clean held-out images.`,
  );
  out();
  out('| detector | rows flagged | precision | recall | in class 0: flagged / poisoned found | retrained without them: attack success | clean accuracy |');
  out('|---|---:|---:|---:|---:|---:|---:|');
  out(
    `| none (retrained on everything) | 0 | – | – | – | ${fmtRate(everything.asr, others.length)} | ${(everything.acc / specimen.test.x.length).toFixed(3)} |`,
  );
  for (const { name, result } of detections) {
    const tp = result.flagged.filter((i) => poisoned.has(i)).length;
    const target = result.classes.find((c) => c.label === specimen.target);
    const inTarget = target ? target.flagged.filter((i) => poisoned.has(i)).length : 0;
    const flagged = new Set(result.flagged);
    const after = retrain((i) => !flagged.has(i), 5);
    backdoor.push({
      name,
      flagged: result.flagged.length,
      truePositives: tp,
      attackSuccessAfter: after.asr / others.length,
      before: everything.asr / others.length,
    });
    out(
      `| ${name} | ${result.flagged.length} | ${fmtRate(tp, Math.max(1, result.flagged.length))} | ${fmtRate(tp, poisoned.size)} | ${target?.flagged.length ?? 0} / ${inTarget} | ${fmtRate(after.asr, others.length)} | ${(after.acc / specimen.test.x.length).toFixed(3)} |`,
    );
  }
  const ac = detections[detections.length - 1]?.result;
  out();
  out(
    `Activation clustering per class (smaller cluster's share, silhouette): ${ac?.classes.map((c) => `${c.label}: ${c.smallerShare?.toFixed(2)}, ${c.silhouette?.toFixed(2)}`).join('; ')}.`,
  );
  (results.backdoor as unknown[]).push({ file, poisoned: poisoned.size, before: everything.asr / others.length, detections: backdoor });
}

// --- Throughput and memory -------------------------------------------------------------------------
out();
out('### Throughput');
out();
const dir = mkdtempSync(join(tmpdir(), 'bulwark-data-'));
try {
  /** Appends `rows` fresh rows to a CSV at `path` (header written first when `fresh`). */
  const grow = (path: string, rows: number, seed: number, fresh: boolean) => {
    if (fresh) writeFileSync(path, `${HEADER.join(',')}\n`);
    for (let c = 0; c < rows / 50_000; c++)
      writeFileSync(
        path,
        `${toCsv(fraudRows(50_000, seed + c))
          .split('\n')
          .slice(1)
          .join('\n')}`,
        { flag: 'a' },
      );
  };
  /** validate in a child with a 256 MiB heap: peak memory is the child's maximum RSS. */
  const inChild = (path: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--max-old-space-size=256',
          // The built packages, as users run them (`pnpm data` builds first); the sources through
          // tsx when there is no build (the test suite's --quick run on a fresh clone).
          ...(existsSync(join(root, 'packages/data/dist/index.js')) ? ['--conditions=bulwark-dist'] : ['--import', 'tsx']),
          '--input-type=module',
          '-e',
          `import { validateFile } from '@bulwark/data'; import { loadProfile } from '@bulwark/core';
           const t = performance.now(); const r = await validateFile(${JSON.stringify(path)}, loadProfile(${JSON.stringify(join(root, 'policies/profiles/fraud.json'))}));
           const ms = performance.now() - t; process.stdout.write(JSON.stringify({ rows: r.rows, ms, rss: process.resourceUsage().maxRSS }));`,
        ],
        { cwd: join(root, 'packages/cli'), encoding: 'utf8' },
      ),
    ) as { rows: number; ms: number; rss: number };
  const t0 = performance.now();
  const r = await validateFile(join(root, 'packages/models/data/fraud-train.csv'), profile);
  const small = performance.now() - t0;
  out('| file | rows | MB | rows/s | peak RSS |');
  out('|---|---:|---:|---:|---:|');
  out(`| fraud-train.csv (in process) | ${r.rows.toLocaleString('en')} | 0.9 | ${Math.round(r.rows / (small / 1000)).toLocaleString('en')} | – |`);
  // The same file grown: peak memory stops growing once the duplicate index is full (1,000,000
  // rows); the last file is larger than the child's whole heap.
  const path = join(dir, 'big.csv');
  const sizes = quick ? [50_000, 100_000] : [500_000, 1_000_000, 2_000_000, 4_000_000];
  let have = 0;
  const rss: number[] = [];
  for (const size of sizes) {
    grow(path, size - have, 40_000 + have / 50_000, have === 0);
    have = size;
    const big = inChild(path);
    rss.push(big.rss / 1024);
    out(
      `| generated, ${size.toLocaleString('en')} rows (child, 256 MiB heap) | ${big.rows.toLocaleString('en')} | ${(statSync(path).size / 1e6).toFixed(0)} | ${Math.round(big.rows / (big.ms / 1000)).toLocaleString('en')} | ${(big.rss / 1024).toFixed(0)} MB |`,
    );
    results.throughput = { rows: big.rows, rowsPerSecond: big.rows / (big.ms / 1000), peakRssMB: big.rss / 1024, rssBySize: rss };
  }
  // The detectors, in process.
  const time = (f: () => unknown) => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  const features = trainRows.map((row) => row.filter((_, j) => j !== labelAt));
  const labels = trainRows.map((row) => row[labelAt] as number);
  const probs = features.map((f) => [0.5 + 0.4 * Math.tanh(((f[2] as number) - 0.3) * 3), 0.5 - 0.4 * Math.tanh(((f[2] as number) - 0.3) * 3)]);
  const cl = time(() => findLabelIssues(labels, probs));
  const specimen = JSON.parse(readFileSync(join(root, 'packages/models/poisoned/digits-backdoor.json'), 'utf8')) as { train: { x: number[][]; y: number[] } };
  let acts: Float32Array[] = [];
  const readMs = await (async () => {
    const t = performance.now();
    acts = await readActivations(join(root, 'packages/models/poisoned/digits-backdoor.onnx'), 'h1', specimen.train.x);
    return performance.now() - t;
  })();
  const ss = time(() => spectralSignatures(acts, specimen.train.y, { epsilon: 0.1 }));
  const acMs = time(() => activationClustering(acts, specimen.train.y));
  out();
  out('| detector | rows | rows/s |');
  out('|---|---:|---:|');
  out(`| confident learning (2 classes) | ${labels.length.toLocaleString('en')} | ${Math.round(labels.length / (cl / 1000)).toLocaleString('en')} |`);
  out(
    `| hidden activations through onnxruntime (64 units) | ${acts.length.toLocaleString('en')} | ${Math.round(acts.length / (readMs / 1000)).toLocaleString('en')} |`,
  );
  out(`| spectral signatures (10 classes, 64 units) | ${acts.length.toLocaleString('en')} | ${Math.round(acts.length / (ss / 1000)).toLocaleString('en')} |`);
  out(
    `| activation clustering (10 classes, 64 → 10 dims, silhouettes) | ${acts.length.toLocaleString('en')} | ${Math.round(acts.length / (acMs / 1000)).toLocaleString('en')} |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const table = lines.join('\n');
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1] as string, `${JSON.stringify(results, null, 2)}\n`);
if (quick) process.stdout.write(`${table}\n`);
else {
  fillSections(join(root, 'docs/data.md'), { data: table });
  process.stdout.write(`${table}\n\nwritten to docs/data.md\n`);
}
