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
 * does not drown a flag), or on raw features without a profile.
 *
 * Two changes to PRADA, both measured (docs/detection.md): the test runs on the logarithm of the
 * distances (`distances: log`), and distances more than `trim` sds from the mean are left out of
 * it. Nearest-neighbour distances of honest traffic are right-skewed wherever the data has few
 * dimensions, skewed features or ties (the fraud model's 8 features; 8×8 images): on raw distances
 * every honest caller of both shipped models fell below W 0.9. A retry (an exact float32 repeat of
 * one of the caller's latest 16 rows, or of a row in its growing set) adds no distance: it reveals
 * nothing new, and a distance of 0 has no logarithm.
 *
 * State per caller: at most `maxPerClass` rows per class (float32, base64), `window` distances and
 * the latest 16 rows, for `historyMs` after the caller's last query; the growing set keeps the
 * newest rows when full, a bound PRADA does not have. Each process also keeps the lists it last
 * wrote decoded (local-state.ts), used only while the store still holds exactly those.
 */

import { shapiroWilkWSorted } from '../../detection/shapiro-wilk.js';
import { detectorStore, detectorStoreOptions, storeFailure, updateStore } from '../../detection/store.js';
import { type Infer, s } from '../../policy/schema.js';
import { profileFor, profileOption } from '../../profile/for-guard.js';
import { riskKey } from '../../signals.js';
import type { DetectorOp, DetectorResult } from '../../stores/detector.js';
import type { Guard, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';
import { DecodedLists, Distances, SortedWindow } from './local-state.js';

const schema = s.object({
  profile: s.doc(s.optional(profileOption), 'the data profile whose sds scale each feature (without one, raw distances)'),
  threshold: s.doc(s.default(s.number({ gt: 0, max: 1 }), 0.9), 'Shapiro-Wilk W below which a caller is flagged'),
  minSamples: s.doc(s.default(s.int({ min: 20, max: 5000 }), 100), 'distances needed before the test runs'),
  window: s.doc(s.default(s.int({ min: 20, max: 5000 }), 1000), 'latest distances tested'),
  distances: s.doc(
    s.default(s.enumOf(['log', 'raw'] as const), 'log'),
    "log: test the logarithm of the distances (honest traffic's distances are right-skewed); raw: PRADA's own test",
  ),
  trim: s.doc(s.default(s.number({ min: 0, max: 10 }), 3), 'distances more than this many sds from the mean are left out of the test (0: none)'),
  maxPerClass: s.doc(s.default(s.int({ min: 1, max: 1000 }), 200), "rows kept per class in a caller's growing set"),
  historyMs: s.doc(s.default(s.int({ min: 1000, max: 2_592_000_000 }), 86_400_000), "how long a caller's state lives after its last query"),
  action: s.doc(
    s.default(s.enumOf(['flag', 'deny'] as const), 'flag'),
    'flag: record and raise risk (later guards respond); deny: refuse with attack_suspected',
  ),
  ...detectorStoreOptions,
});

export type ExtractionDetectionOptions = Infer<typeof schema>;

/**
 * At most 16 operations per update: 7 classes of a batch at a time (2 ops each), the pooled list,
 * and with the first part the caller's latest rows.
 */
const CLASSES_PER_UPDATE = 7;
/** A caller's latest rows kept to recognise a retry (an exact repeat adds no distance). */
const RECENT_ROWS = 16;
/** Items appended to one list per call at most (a larger batch appends its latest). */
const APPEND_MAX = 256;
/** Decoded state one process keeps between calls (local-state.ts), across all callers. */
const LOCAL_STATE_BYTES = 32 * 1024 * 1024;

const encode = (row: Float32Array): string => Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('base64');
const decode = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

const stampOf = (r: DetectorResult | undefined): string | undefined => (r?.kind === 'append' ? r.stamp?.after : undefined);
const textsOf = (r: DetectorResult | undefined): readonly string[] => (r?.kind === 'append' ? r.before : []);
const isQuiet = (op: DetectorOp): boolean => op.kind === 'append' && op.answer === false;

/** `xs` with at most its last `max` items, in place. */
function trimFront<T>(xs: T[], max: number): T[] {
  // shift, not splice: V8 moves the array's start instead of copying the rest.
  while (xs.length > max) xs.shift();
  return xs;
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
    // Callers' lists as this process last wrote them, decoded (local-state.ts): bounded.
    const kept = new DecodedLists(LOCAL_STATE_BYTES);
    const log = o.distances === 'log';
    /** An append to one of the caller's lists; `answer: false` when the list is not needed back (only its stamp). */
    const list = (key: string, items: string[], max: number, answer = true): DetectorOp => ({ kind: 'append', key, items, max, ttlMs: o.historyMs, answer });

    /** A row as distances see it: each feature divided by its sd (once per row, not per distance). */
    const scaled = (row: Float32Array): ArrayLike<number> => (invScale ? Float64Array.from(row, (v, j) => v * (invScale[j] ?? 1)) : row);

    function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
      let s = 0;
      for (let j = 0; j < a.length; j++) {
        const diff = (a[j] as number) - (b[j] as number);
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
        // The rows as the model saw them (float32): distances, growing sets and retries all use
        // them, so a replica that decodes a caller's state from the store computes the same numbers.
        const asFloat32 = rows.map(function toFloat32(r) {
          return Float32Array.from(r as ArrayLike<number>);
        });
        const encoded = asFloat32.map(encode);
        let recent: Set<string> | undefined;
        let pooled: SortedWindow | undefined;
        try {
          for (let k = 0; k < classes.length; k += CLASSES_PER_UPDATE) {
            const part = classes.slice(k, k + CLASSES_PER_UPDATE);
            // Read this part's growing sets and distances (an append of nothing answers the list;
            // a list this process keeps decoded is asked for its stamp only), and with the first
            // part the caller's latest rows.
            const keysOf = (c: number) => [`${scope}\u0000g${c}`, `${scope}\u0000d${c}`] as const;
            const reads = part.flatMap((c) => {
              const [gKey, dKey] = keysOf(c);
              return [list(`pr:g:${c}`, [], o.maxPerClass, !kept.has(gKey)), list(`pr:d:${c}`, [], o.window, !kept.has(dKey))];
            });
            if (k === 0) reads.push(list('pr:r', [], RECENT_ROWS));
            const before = await updateStore(store, scope, reads, o.storeTimeoutMs);
            const writes: DetectorOp[] = [];
            if (k === 0) {
              const r = before[reads.length - 1];
              recent = new Set(r?.kind === 'append' ? r.before : []);
              writes.push(list('pr:r', encoded.slice(-RECENT_ROWS), RECENT_ROWS, false));
            }
            // Each list of the part: its decoded values, if kept and still the store's, else its
            // texts (read again when only its stamp was asked), and the stamp they match.
            const found = part.map((c, n) => {
              const [gKey, dKey] = keysOf(c);
              const g = before[2 * n];
              const d = before[2 * n + 1];
              return {
                g: {
                  key: gKey,
                  stamp: stampOf(g),
                  values: kept.take<ArrayLike<number>[]>(gKey, stampOf(g)),
                  texts: textsOf(g),
                  asked: reads[2 * n] as DetectorOp,
                },
                d: { key: dKey, stamp: stampOf(d), values: kept.take<Distances>(dKey, stampOf(d)), texts: textsOf(d), asked: reads[2 * n + 1] as DetectorOp },
              };
            });
            const missing = found.flatMap((f) => [f.g, f.d]).filter((l) => l.values === undefined && isQuiet(l.asked));
            if (missing.length > 0) {
              // Kept lists that another replica (or an expiry) changed: read them whole.
              const again = await updateStore(
                store,
                scope,
                missing.map((l) => ({ ...(l.asked as Extract<DetectorOp, { kind: 'append' }>), answer: true })),
                o.storeTimeoutMs,
              );
              missing.forEach((l, n) => {
                l.stamp = stampOf(again[n]);
                l.texts = textsOf(again[n]);
              });
            }
            const fresh: string[] = [];
            // What to keep locally once the write has succeeded: key, the stamp the store's list
            // must have before the write (or after, when nothing is written), the values, bytes.
            const keep: { key: string; expected: string | undefined; values: unknown; bytes: number; op?: number }[] = [];
            part.forEach(function judgeClass(c, n) {
              const f = found[n] as (typeof found)[number];
              const grown: ArrayLike<number>[] = f.g.values ?? f.g.texts.map((t) => scaled(decode(t)));
              const dists = f.d.values ?? new Distances(f.d.texts);
              const addG: string[] = [];
              const addD: string[] = [];
              for (const i of byClass.get(c) ?? []) {
                const x = scaled(asFloat32[i] as Float32Array);
                const text = encoded[i] as string;
                // A retry of one of the caller's latest rows is no evidence either way.
                if (recent?.has(text)) continue;
                recent?.add(text);
                if (grown.length === 0) {
                  grown.push(x);
                  addG.push(text);
                  continue;
                }
                let dmin = Number.POSITIVE_INFINITY;
                for (let k = 0; k < grown.length; k++) {
                  const dk = distance(x, grown[k] as ArrayLike<number>);
                  if (dk < dmin) dmin = dk;
                }
                // A repeat of an older row of the growing set: no distance (its log would be −∞).
                if (dmin === 0) continue;
                if (dmin > Math.max(0, dists.mean - dists.sd)) {
                  grown.push(x);
                  addG.push(text);
                }
                // Values as stored (6 digits), so that every replica computes from the same numbers.
                const d = dmin.toPrecision(6);
                dists.push(Number(d));
                addD.push(d);
                // The pooled list holds what is tested: the log is taken once, when a distance is written.
                fresh.push((log ? Math.log(dmin) : dmin).toPrecision(6));
              }
              // Kept only when the store's list will be exactly this one (nothing cut from the append).
              if (addG.length <= APPEND_MAX) {
                const op = addG.length > 0 ? writes.push(list(`pr:g:${c}`, addG, o.maxPerClass, false)) - 1 : undefined;
                const values = trimFront(grown, o.maxPerClass);
                keep.push({ key: f.g.key, expected: f.g.stamp, values, bytes: values.length * ((values[0]?.length ?? 0) * 8 + 64), op });
              } else writes.push(list(`pr:g:${c}`, addG.slice(-APPEND_MAX), o.maxPerClass, false));
              if (addD.length <= APPEND_MAX) {
                const op = addD.length > 0 ? writes.push(list(`pr:d:${c}`, addD, o.window, false)) - 1 : undefined;
                dists.keepLast(o.window);
                keep.push({ key: f.d.key, expected: f.d.stamp, values: dists, bytes: dists.values.length * 16, op });
              } else writes.push(list(`pr:d:${c}`, addD.slice(-APPEND_MAX), o.window, false));
            });
            const pKey = `${scope}\u0000p`;
            const pushed = fresh.slice(-APPEND_MAX);
            writes.push(list('pr:d', pushed, o.window, !kept.has(pKey)));
            const after = await updateStore(store, scope, writes, o.storeTimeoutMs);
            const p = after[after.length - 1];
            const pStamp = p?.kind === 'append' ? p.stamp : undefined;
            pooled = kept.take<SortedWindow>(pKey, pStamp?.before);
            if (pooled === undefined && isQuiet(writes[writes.length - 1] as DetectorOp)) {
              // The kept window is not the store's (another replica wrote): read it whole, with
              // this call's distances already in it.
              const [again] = await updateStore(store, scope, [list('pr:d', [], o.window)], o.storeTimeoutMs);
              pooled = new SortedWindow(textsOf(again));
              const stamp = stampOf(again);
              if (stamp !== undefined) kept.put(pKey, stamp, pooled, pooled.bytes);
            } else {
              pooled ??= new SortedWindow(textsOf(p));
              for (const t of pushed) pooled.push(t, o.window);
              if (pStamp !== undefined) kept.put(pKey, pStamp.after, pooled, pooled.bytes);
            }
            // A list is kept with its new stamp only if nobody wrote between this call's read and
            // its write (the stamp before the write is the one read).
            for (const e of keep) {
              if (e.expected === undefined) continue;
              if (e.op === undefined) kept.put(e.key, e.expected, e.values, e.bytes);
              else {
                const r = after[e.op];
                const st = r?.kind === 'append' ? r.stamp : undefined;
                if (st !== undefined && st.before === e.expected) kept.put(e.key, st.after, e.values, e.bytes);
              }
            }
          }
          if (pooled === undefined || pooled.length < o.minSamples) return undefined;
          const w = shapiroWilkWSorted(pooled.sortedWithin(o.trim));
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
