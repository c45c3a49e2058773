/**
 * near-duplicates: stateful detection of query-based evasion (Blacklight, Li et al. 2022). A
 * score-based or decision-based search (HopSkipJump) sends hundreds of queries that differ from
 * each other by a small perturbation; honest traffic rarely sends two such rows. Every row's
 * content fingerprints (detection/fingerprint.ts) go to one **global** index in the detector
 * store, so a search spread over many API keys, or over replicas sharing a Redis store, is caught
 * just the same: the index is keyed by content, not by caller.
 *
 * A row whose share of fingerprints already in the index reaches `matchThreshold` is a near
 * duplicate of recent traffic: the call is refused with `attack_suspected` (or flagged, or
 * answered with the label only), the caller's risk signal is raised (risk-response turns it into a lasting response), and the row's fingerprints are added
 * like any other's. The index holds `shards` × `capacity` fingerprints for `historyMs` (memory
 * bound: documented in docs/detection.md). Matching is against the union of recent fingerprints,
 * not one earlier query at a time: a row pieced together from windows of several earlier rows
 * also matches, which makes the detector slightly more eager than Blacklight's per-query count.
 *
 * An exact repeat of a row by the caller that sent it (a client's retry) is answered, not matched
 * (`repeats: answer`, the default): it reveals nothing the first answer did not, and a day of
 * honest traffic has retries (docs/detection.md measures it). The same row from another caller
 * still matches.
 *
 * Known limits (see docs/detection.md for the measured figures): an adaptive attacker who spaces
 * its queries by more than the quantisation cell, or transforms each query (query blinding), is
 * not caught.
 */
import { randomBytes } from 'node:crypto';
import { labelOnlyRows } from '../../detection/degrade.js';
import { Fingerprinter } from '../../detection/fingerprint.js';
import { detectorStore, detectorStoreOptions, storeFailure, updateThen } from '../../detection/store.js';
import { ConfigError } from '../../errors.js';
import { type Infer, s } from '../../policy/schema.js';
import { profileFor, profileOption, rowsProblem } from '../../profile/for-guard.js';
import { riskKey } from '../../signals.js';
import type { DetectorOp, DetectorResult } from '../../stores/detector.js';
import type { Guard, GuardVerdict, Prediction } from '../../types.js';
import { defineGuard } from '../define.js';

const schema = s.object({
  /** The quantisation range of each feature: from a profile (its min and max)… */
  profile: s.doc(s.optional(profileOption), "the data profile whose ranges set each feature's cells (or give range)"),
  /** …or one [min, max] for every feature (images: [0, 255]). */
  range: s.doc(s.optional(s.array(s.number(), { minItems: 2, maxItems: 2 })), 'one [min, max] for every feature, instead of a profile'),
  levels: s.doc(s.default(s.int({ min: 2, max: 100 }), 8), 'quantisation cells per feature'),
  cells: s.doc(
    s.default(s.enumOf(['equal-width', 'equal-frequency'] as const), 'equal-width'),
    "equal-width over [min, max], or equal-frequency from the profile's percentiles (skewed features)",
  ),
  window: s.doc(s.default(s.int({ min: 1, max: 4096 }), 8), 'features per fingerprint window'),
  keep: s.doc(s.default(s.int({ min: 1, max: 64 }), 20), 'fingerprints kept per row (the largest hashes)'),
  matchThreshold: s.doc(s.default(s.number({ gt: 0, max: 1 }), 0.5), 'share of a row’s fingerprints already seen that makes it a near duplicate'),
  historyMs: s.doc(s.default(s.int({ min: 1000, max: 2_592_000_000 }), 86_400_000), 'how long fingerprints are remembered'),
  repeats: s.doc(
    s.default(s.enumOf(['answer', 'match'] as const), 'answer'),
    'an exact repeat of a row the same caller sent within historyMs (a retry): answer it (it reveals nothing new), or match it like any near duplicate',
  ),
  capacity: s.doc(s.default(s.int({ min: 100, max: 10_000 }), 10_000), 'tokens per shard (fingerprints, and one exact-repeat token per row; 16 shards)'),
  action: s.doc(
    s.default(s.enumOf(['flag', 'degrade', 'deny'] as const), 'deny'),
    'flag: record; degrade: label-only answers; deny: refuse with attack_suspected',
  ),
  ...detectorStoreOptions,
});

export type NearDuplicatesOptions = Infer<typeof schema>;

const SHARDS = 16;
const DEGRADE = Symbol('near-duplicates.degrade');

/** The HMAC key for fingerprints: shared by replicas through the environment, else per process. */
function fingerprintSecret(): { secret: Buffer; shared: boolean } {
  const env = process.env.BULWARK_DETECTOR_SECRET ?? process.env.BULWARK_PRINCIPAL_SECRET;
  if (env && env.length >= 16) return { secret: Buffer.from(`bulwark-fingerprints:${env}`, 'utf8'), shared: true };
  return { secret: randomBytes(32), shared: false };
}

/**
 * Creates the near-duplicates guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [nearDuplicates({ range: [0, 16], levels: 4, window: 8 })] })
 * ```
 */
export const nearDuplicates = defineGuard({
  use: 'near-duplicates',
  description: 'Refuse rows that nearly repeat recent traffic from any caller: query-based evasion searches (Blacklight)',
  schema,
  create(o, context): Guard<ArrayLike<number>[], Prediction[]> {
    const d = o.profile !== undefined ? undefined : context.model?.features;
    let lo: Float64Array;
    let hi: Float64Array;
    let edges: Float64Array[] | undefined;
    if (o.profile !== undefined) {
      const p = profileFor(o.profile, context, 'near-duplicates');
      lo = Float64Array.from(p.features, (f) => f.min);
      hi = Float64Array.from(p.features, (f) => f.max);
      if (o.cells === 'equal-frequency') {
        if (p.features.some((f) => f.percentiles === undefined) || 100 % o.levels !== 0)
          throw new ConfigError(
            [
              {
                path: 'levels',
                rule: 'equal-frequency cells need a profile with percentiles and levels dividing 100 (2, 4, 5, 10, 20, 25, 50, 100)',
                received: String(o.levels),
              },
            ],
            'near-duplicates options',
          );
        const step = 100 / o.levels;
        // Edges at every step-th percentile; repeated values (ties of integer features) collapse.
        edges = p.features.map((f) => Float64Array.from(new Set(f.percentiles.filter((_, k) => (k + 1) % step === 0))));
      }
    } else if (o.cells === 'equal-frequency') {
      throw new ConfigError([{ path: 'cells', rule: 'equal-frequency cells need a profile', received: 'no profile' }], 'near-duplicates options');
    } else if (o.range !== undefined && d !== undefined) {
      lo = new Float64Array(d).fill(o.range[0] as number);
      hi = new Float64Array(d).fill(o.range[1] as number);
    } else
      throw new ConfigError(
        [
          {
            code: 'missing_key',
            path: o.range === undefined ? 'profile' : 'range',
            rule: o.range === undefined ? 'give a profile, or a range' : 'a range needs the model’s width: build the guard with the model (bulwark serve does)',
            received: 'undefined',
          },
        ],
        'near-duplicates options',
      );
    const width = lo.length;
    const store = detectorStore(o.store, context, 'near-duplicates');
    const { secret, shared } = fingerprintSecret();
    if (!shared && !store.localKeys)
      context.logger.warn(
        'near-duplicates: no BULWARK_DETECTOR_SECRET or BULWARK_PRINCIPAL_SECRET: fingerprints are keyed per process, so replicas sharing the store do not see each other’s queries',
        { code: 'BULWARK_DETECTOR_SECRET' },
      );
    const fp = new Fingerprinter({ lo, hi, edges, levels: o.levels, window: Math.min(o.window, width), keep: o.keep, secret });
    const needed = (n: number) => Math.max(1, Math.ceil(o.matchThreshold * n));
    // Store keys built once: a key string built per token would be hashed afresh on every lookup.
    const shardKeys = Array.from({ length: SHARDS }, (_, k) => `nd:${k}`);
    const remember = (key: string, members: string[]): DetectorOp => ({ kind: 'remember', key, members, max: o.capacity, ttlMs: o.historyMs });

    /**
     * Which rows are near duplicates, from the store's answers and earlier rows of the same call.
     * A row the same caller sent before, unchanged (`repeats: answer`), is not one: it asks again
     * what the caller was already told.
     */
    function judge(tokens: string[][], seen: Map<string, boolean>, repeats: string[] | undefined): number[] {
      const dup: number[] = [];
      const inCall = new Set<string>();
      tokens.forEach((ts, i) => {
        let matches = 0;
        for (const t of ts) if (seen.get(t) || inCall.has(t)) matches++;
        for (const t of ts) inCall.add(t);
        if (matches >= needed(ts.length) && !(repeats !== undefined && seen.get(repeats[i] as string))) dup.push(i);
      });
      return dup;
    }

    function verdict(rows: number, dup: number[], ctx: { state: Map<unknown, unknown> }): GuardVerdict<ArrayLike<number>[]> | undefined {
      if (dup.length === 0) return undefined;
      const message = `${dup.length} of ${rows} row(s) nearly repeat recent queries (a pattern of query-based evasion searches)`;
      const attributes = { 'bulwark.near_duplicates.rows': dup.length };
      const signals = [riskKey.of(1)];
      if (o.action === 'deny') return { action: 'deny', code: 'attack_suspected', message, attributes, signals };
      if (o.action === 'degrade') ctx.state.set(DEGRADE, dup);
      return { action: 'flag', code: 'attack_suspected', message, attributes, signals };
    }

    return {
      name: 'near-duplicates',
      signals: { writes: [riskKey] },
      beforeInference(ctx) {
        const shape = rowsProblem(ctx.input, width);
        if (shape) return { action: 'deny', code: 'invalid_input', ...shape };
        const tokens = ctx.input.map((row) => fp.tokens(row));
        // Exact-repeat tokens ("r:" and 11 characters) share the fingerprints' sets (no extra store
        // operation) but never equal a fingerprint token (12 characters), so they never match content.
        const repeats = o.repeats === 'answer' ? ctx.input.map((row) => `r:${fp.exact(row, ctx.principal.hash)}`) : undefined;
        // Members by shard (≤ 16 keys, DETECTOR_LIMITS.maxOps); one update per ≤ 256 members in a key: a call of a few rows is one update.
        // (Arrays made as needed: Array.from({ length: 16 }, …) was a third of this function's own time.)
        const byShard: (string[] | undefined)[] = new Array(SHARDS);
        const add = (shard: number, t: string) => {
          const members = byShard[shard];
          if (members === undefined) byShard[shard] = [t];
          else members.push(t);
        };
        for (const ts of tokens) for (const t of ts) add(t.charCodeAt(0) % SHARDS, t);
        if (repeats !== undefined) for (const t of repeats.length === 1 ? repeats : new Set(repeats)) add(t.charCodeAt(2) % SHARDS, t);
        const seen = new Map<string, boolean>();
        const failed = (err: unknown) => storeFailure(err, o.onStoreError, 'near-duplicate detection');
        /**
         * One store update for the next ≤ 256 members of each shard, from `start`; then the next
         * ones, then the verdict. Synchronous while the store answers synchronously (updateThen).
         */
        const from = (start: number): GuardVerdict<ArrayLike<number>[]> | undefined | Promise<GuardVerdict<ArrayLike<number>[]> | undefined> => {
          const ops: DetectorOp[] = [];
          const asked: string[][] = [];
          for (let k = 0; k < SHARDS; k++) {
            const members = byShard[k];
            if (members === undefined) continue;
            const part = start === 0 && members.length <= 256 ? members : members.slice(start, start + 256);
            if (part.length === 0) continue;
            ops.push(remember(shardKeys[k] as string, part));
            asked.push(part);
          }
          if (ops.length === 0) return verdict(tokens.length, judge(tokens, seen, repeats), ctx);
          return updateThen(
            store,
            'global',
            ops,
            o.storeTimeoutMs,
            (results) => {
              collect(results, asked);
              return from(start + 256);
            },
            failed,
          );
        };
        const collect = (results: readonly DetectorResult[], asked: string[][]) => {
          results.forEach((r, k) => {
            if (r.kind !== 'remember') return;
            (asked[k] as string[]).forEach((t, i) => {
              if (r.seen[i]) seen.set(t, true);
              else if (!seen.has(t)) seen.set(t, false);
            });
          });
        };
        return from(0);
      },
      afterInference(ctx) {
        const rows = ctx.state.get(DEGRADE) as number[] | undefined;
        const out = ctx.output;
        if (rows === undefined || !Array.isArray(out)) return undefined;
        return {
          action: 'modify',
          code: 'output_degraded',
          message: `${rows.length} near-duplicate row(s) answered with the label only`,
          value: labelOnlyRows(out, rows),
        };
      },
    };
  },
});
