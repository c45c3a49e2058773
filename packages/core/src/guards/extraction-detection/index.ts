/**
 * extraction-detection: PRADA (Juuti et al., EuroS&P 2019), per caller, with its state in the
 * detector store so replicas share it (PRADA's own code keeps it in one process).
 *
 * For every answered row, by the class the model predicted: the distance d from the row to the
 * nearest of the caller's earlier rows of that class (its "growing set"); d is recorded, and the
 * row joins the growing set when d exceeds the class's threshold (mean − sd of that class's
 * distances). Benign callers send natural data, whose nearest-neighbour distances look roughly
 * normal; extraction attacks send synthetic or perturbed rows, whose distances do not. Once a
 * caller has `minSamples` distances, the Shapiro-Wilk W of its latest `window` distances is tested
 * on every call: W < `threshold` flags the caller (`attack_suspected`), raises its risk signal, and — with
 * `action: deny` — refuses the call.
 *
 * Distances are Euclidean on features divided by their sd in the profile (so that a dollar amount
 * does not drown a flag), or on raw features without a profile. State per caller: at most
 * `maxPerClass` rows per class (float32, base64) and `window` distances, for `historyMs` after the
 * caller's last query; the growing set keeps the newest rows when full, a bound PRADA does not have.
 */

import { shapiroWilkW } from '../../detection/shapiro-wilk.js';
import { detectorStore, detectorStoreOptions, storeFailure, updateStore } from '../../detection/store.js';
import { type Infer, s } from '../../policy/schema.js';
import { profileFor, profileOption } from '../../profile/for-guard.js';
import { riskKey } from '../../signals.js';
import type { DetectorOp } from '../../stores/detector.js';
import type { Guard, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  profile: s.doc(s.optional(profileOption), 'the data profile whose sds scale each feature (without one, raw distances)'),
  threshold: s.doc(s.default(s.number({ gt: 0, max: 1 }), 0.9), 'Shapiro-Wilk W below which a caller is flagged'),
  minSamples: s.doc(s.default(s.int({ min: 20, max: 5000 }), 100), 'distances needed before the test runs'),
  window: s.doc(s.default(s.int({ min: 20, max: 5000 }), 1000), 'latest distances tested'),
  maxPerClass: s.doc(s.default(s.int({ min: 1, max: 1000 }), 200), "rows kept per class in a caller's growing set"),
  historyMs: s.doc(s.default(s.int({ min: 1000, max: 2_592_000_000 }), 86_400_000), "how long a caller's state lives after its last query"),
  action: s.doc(
    s.default(s.enumOf(['flag', 'deny'] as const), 'flag'),
    'flag: record and raise risk (later guards respond); deny: refuse with attack_suspected',
  ),
  ...detectorStoreOptions,
});

export type ExtractionDetectionOptions = Infer<typeof schema>;

/** At most 16 operations per update: 7 classes of a batch at a time (2 ops each) plus the pooled list. */
const CLASSES_PER_UPDATE = 7;

const encode = (row: ArrayLike<number>): string => Buffer.from(Float32Array.from(row as ArrayLike<number>).buffer).toString('base64');
const decode = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  if (xs.length === 0) return { mean: 0, sd: 0 };
  let m = 0;
  for (const x of xs) m += x;
  m /= xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) ** 2;
  return { mean: m, sd: xs.length > 1 ? Math.sqrt(v / (xs.length - 1)) : 0 };
}

/**
 * Creates the extraction-detection guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [extractionDetection({ profile: 'fraud.profile.json', threshold: 0.9 })] })
 * ```
 */
export const extractionDetection = defineGuard({
  use: 'extraction-detection',
  description: "Flag callers whose queries' nearest-neighbour distances stop looking natural: model extraction (PRADA)",
  schema,
  create(o, context): Guard<ArrayLike<number>[], Prediction[]> {
    const profile = o.profile === undefined ? undefined : profileFor(o.profile, context, 'extraction-detection');
    const invScale = profile ? Float64Array.from(profile.features, (f) => (f.sd > 0 ? 1 / f.sd : 1)) : undefined;
    const store = detectorStore(o.store, context, 'extraction-detection');
    // Decoded rows by their stored text: a caller's growing set is read back on every call, and
    // decoding it each time would cost more than the distances. Bounded; oldest entries go first.
    const decoded = new Map<string, Float32Array>();
    const decodeCached = (text: string): Float32Array => {
      let v = decoded.get(text);
      if (v === undefined) {
        v = decode(text);
        if (decoded.size >= 50_000) decoded.delete(decoded.keys().next().value as string);
        decoded.set(text, v);
      }
      return v;
    };
    // Distances by their stored text, for the same reason: a window of 1,000 is read back (twice) on
    // every call, and parsing it cost more than the test. Bounded; cleared when full.
    const parsed = new Map<string, number>();
    const parseCached = (text: string): number => {
      let v = parsed.get(text);
      if (v === undefined) {
        v = Number(text);
        if (parsed.size >= 100_000) parsed.clear();
        parsed.set(text, v);
      }
      return v;
    };
    const list = (key: string, items: string[], max: number): DetectorOp => ({ kind: 'append', key, items, max, ttlMs: o.historyMs });

    function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
      let s = 0;
      for (let j = 0; j < a.length; j++) {
        const diff = ((a[j] as number) - (b[j] as number)) * (invScale ? (invScale[j] as number) : 1);
        s += diff * diff;
      }
      return Math.sqrt(s);
    }

    return {
      name: 'extraction-detection',
      signals: { writes: [riskKey] },
      async afterInference(ctx) {
        const out = ctx.output;
        const rows = ctx.input;
        if (!Array.isArray(out) || !Array.isArray(rows) || out.length !== rows.length) return undefined;
        const scope = ctx.principal.hash;
        const byClass = new Map<number, number[]>();
        out.forEach((p, i) => {
          const c = p?.label;
          if (typeof c !== 'number') return;
          const at = byClass.get(c);
          if (at) at.push(i);
          else byClass.set(c, [i]);
        });
        const classes = [...byClass.keys()];
        let pooled: number[] = [];
        try {
          for (let k = 0; k < classes.length; k += CLASSES_PER_UPDATE) {
            const part = classes.slice(k, k + CLASSES_PER_UPDATE);
            // Read this part's growing sets and distances (an append of nothing answers the list).
            const before = await updateStore(
              store,
              scope,
              part.flatMap((c) => [list(`pr:g:${c}`, [], o.maxPerClass), list(`pr:d:${c}`, [], o.window)]),
              o.storeTimeoutMs,
            );
            const writes: DetectorOp[] = [];
            const fresh: string[] = [];
            part.forEach((c, n) => {
              const g = before[2 * n];
              const dl = before[2 * n + 1];
              const grown = (g?.kind === 'append' ? g.before : []).map(decodeCached) as ArrayLike<number>[];
              const dists = (dl?.kind === 'append' ? dl.before : []).map(parseCached);
              const addG: string[] = [];
              const addD: string[] = [];
              for (const i of byClass.get(c) ?? []) {
                const x = rows[i] as ArrayLike<number>;
                if (grown.length === 0) {
                  grown.push(x);
                  addG.push(encode(x));
                  continue;
                }
                let dmin = Number.POSITIVE_INFINITY;
                for (const y of grown) dmin = Math.min(dmin, distance(x, y));
                const { mean, sd } = meanSd(dists);
                if (dmin > Math.max(0, mean - sd)) {
                  grown.push(x);
                  addG.push(encode(x));
                }
                dists.push(dmin);
                const text = dmin.toPrecision(6);
                addD.push(text);
                fresh.push(text);
              }
              if (addG.length > 0) writes.push(list(`pr:g:${c}`, addG.slice(-256), o.maxPerClass));
              if (addD.length > 0) writes.push(list(`pr:d:${c}`, addD.slice(-256), o.window));
            });
            writes.push(list('pr:d', fresh.slice(-256), o.window));
            const after = await updateStore(store, scope, writes, o.storeTimeoutMs);
            const p = after[after.length - 1];
            pooled = [...(p?.kind === 'append' ? p.before : []), ...fresh].slice(-o.window).map(parseCached);
          }
          if (pooled.length < o.minSamples) return undefined;
          const w = shapiroWilkW(pooled);
          if (w >= o.threshold) return undefined;
          const message = "the caller's query pattern looks like model extraction (PRADA)";
          const attributes = { 'bulwark.extraction.w': Math.round(w * 1000) / 1000, 'bulwark.extraction.samples': pooled.length };
          const signals = [riskKey.of(1)];
          if (o.action === 'deny') return { action: 'deny', code: 'attack_suspected', message, attributes, signals };
          return { action: 'flag', code: 'attack_suspected', message, attributes, signals };
        } catch (err) {
          return storeFailure(err, o.onStoreError, 'extraction detection');
        }
      },
    };
  },
});
