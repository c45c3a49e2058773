/**
 * The redaction measurements that must run on the built packages (what users run): started by
 * redaction.ts with the `bulwark-dist` condition; prints one JSON object.
 *   scan      MB/s per detector and for the full set, on two texts of ~1 MB: prose with a planted value
 *             every ~200 words (a typical answer or log), and a number-dense multilingual mix (a third
 *             of the items look like personal data and are not; contexts in four scripts)
 *   scaling   wall-clock t(2n)/t(n), worst over doublings from 128 KiB to 1 MiB, per adversarial string set
 *   pathNs    ns per answer of the fraud example's /v1/cases shape: path rules only, rules and every detector
 */
import { builtinDetectors, compilePattern, createRedactor, type Detector, locateMatches, type Masking } from '@bulwark/core';
import { CASES } from '../../examples/fraud-express/src/case-history.js';
import { ADVERSARIAL } from '../../test/helpers/adversarial-strings.js';
import { negatives, positives } from '../../test/helpers/redaction-corpus.js';
import { measureInterleaved } from './stats.js';

const quick = process.argv.includes('--quick');
const now = () => Number(process.hrtime.bigint()) / 1e6;

const PROSE = 'the customer reported a disputed charge on the account and asked for a refund after review of the transaction history'.split(' ');

/** Prose with a planted value (in one of the corpus's contexts and Unicode forms) every ~200 words. */
function proseText(bytes: number): string {
  const pos = positives(5).map((p) => p.text);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const piece = i % 200 === 0 ? (pos[i % pos.length] as string) : (PROSE[i % PROSE.length] as string);
    parts.push(piece);
    size += piece.length + 1;
  }
  return parts.join(' ');
}

/** Prose, machine text that looks like personal data (timestamps, ids, amounts, versions) and, every ~40 items, real personal data. */
function mixedText(bytes: number): string {
  const neg = negatives(20).map((n) => n.text);
  const pos = positives(5).map((p) => p.text);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const piece = i % 40 === 0 ? (pos[i % pos.length] as string) : i % 3 === 0 ? (neg[i % neg.length] as string) : (PROSE[i % PROSE.length] as string);
    parts.push(piece);
    size += piece.length + 1;
  }
  return parts.join(' ');
}

function bestMs(fn: () => void, reps: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t = now();
    fn();
    best = Math.min(best, now() - t);
  }
  return best;
}

const texts = { prose: proseText(quick ? 200_000 : 1_000_000), 'number-dense, multilingual': mixedText(quick ? 200_000 : 1_000_000) };
const reps = quick ? 3 : 9;
const scan: Record<string, Record<string, number>> = {};
for (const [name, text] of Object.entries(texts)) {
  const row: Record<string, number> = {};
  for (const d of [...builtinDetectors, undefined]) {
    const detectors = d === undefined ? builtinDetectors : [d];
    locateMatches(text, detectors); // warm
    row[d === undefined ? 'full set' : d.id] = text.length / 1e6 / (bestMs(() => locateMatches(text, detectors), reps) / 1000);
  }
  scan[name] = row;
}
const textBytes = texts.prose.length;

const scaling: Record<string, number> = {};
const sizes = quick ? [1 << 15, 1 << 16, 1 << 17] : [1 << 17, 1 << 18, 1 << 19, 1 << 20];
for (const [key, makers] of Object.entries(ADVERSARIAL)) {
  let detectors: readonly Detector[];
  if (key === 'full set') detectors = builtinDetectors;
  else if (key.startsWith('pattern:')) {
    const p = compilePattern(key.slice(8), { ignoreCase: true });
    detectors = [{ id: 'user', kind: 'pii', description: p.source, scan: p.scan }];
  } else detectors = builtinDetectors.filter((x) => x.id === key);
  let worst = 0;
  for (const make of makers) {
    locateMatches(make(sizes[0] as number), detectors); // warm: the first call compiles
    const times = sizes.map((n) => {
      const s = make(n);
      return bestMs(() => locateMatches(s, detectors), quick ? 2 : 7);
    });
    for (let i = 1; i < times.length; i++) worst = Math.max(worst, (times[i] as number) / Math.max(times[i - 1] as number, 1e-3));
  }
  scaling[key] = worst;
}

const answer = [{ label: 1, scores: [0.07, 0.93], similarCases: CASES.slice(0, 2) }];
const masking: Masking = { strategies: { card: 'partial' }, defaultStrategy: 'mask', maskText: '[{detector}]', hashKey: undefined };
const deny = [
  { path: '**.customer.ssn', action: 'remove' as const },
  { path: '**.customer.dateOfBirth', action: 'remove' as const },
];
const rulesOnly = createRedactor({ detectors: [], masking, deny });
const full = createRedactor({ detectors: builtinDetectors, masking, deny });
const predictionsOnly = [{ label: 1, scores: [0.07, 0.93] }];
const pathNs = await measureInterleaved(
  {
    'path rules only (deny 2 paths, credential keys), case answer': () => rulesOnly.redact(answer),
    'path rules + every detector, case answer': () => full.redact(answer),
    'path rules + every detector, prediction only': () => full.redact(predictionsOnly),
    'JSON.stringify of the case answer (for scale)': () => JSON.stringify(answer),
  },
  quick ? 3 : 15,
  quick ? 2000 : 20_000,
);
process.stdout.write(`${JSON.stringify({ textBytes, scan, scaling, pathNs, answerBytes: JSON.stringify(answer).length })}\n`);
