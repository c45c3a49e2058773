import { describe, expect, it } from 'vitest';
import { createBulwark } from '../bulwark.js';
import { isBulwarkError } from '../errors.js';
import { extractionDetection } from '../guards/extraction-detection/index.js';
import { nearDuplicates } from '../guards/near-duplicates/index.js';
import { riskResponse } from '../guards/risk-response/index.js';
import { riskKey } from '../signals.js';
import type { DetectorStore } from '../stores/detector.js';
import { StoreError } from '../stores/types.js';
import type { AnyGuard, Decision, Prediction } from '../types.js';

/** A detector store that is down: every update rejects, as a RedisStore does while Redis is unreachable. */
const down: DetectorStore = { name: 'down', localKeys: false, update: () => Promise.reject(new StoreError('store down did not answer')) };
const stores = { memory: down };
const model = (rows: number[][]): Prediction[] => rows.map(() => ({ label: 0, scores: [0.9, 0.1] }));

describe('detectors whose store is down', () => {
  const guards: [string, (onStoreError: 'deny' | 'allow') => AnyGuard][] = [
    ['near-duplicates', (onStoreError) => nearDuplicates({ range: [0, 1], onStoreError }, { model: { name: 'm', features: 2 }, stores })],
    ['extraction-detection', (onStoreError) => extractionDetection({ onStoreError }, { stores })],
    ['risk-response', (onStoreError) => riskResponse({ onStoreError }, { stores })],
  ];
  // risk-response reads the signal detectors write: a pipeline needs a writer.
  const writer: AnyGuard = { name: 'writer', signals: { writes: [riskKey] }, beforeInference: () => undefined };
  it.each(guards)('%s fails closed by default (store_unavailable, 503) and, with onStoreError: allow, answers and records it', async (_name, make) => {
    const closed = createBulwark({ guards: [writer, make('deny')] }).wrap(model);
    const err = await closed([[0.5, 0.5]], { principal: 'p' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && { code: err.code, status: err.status }).toEqual({ code: 'store_unavailable', status: 503 });
    const decisions: Decision[] = [];
    const open = createBulwark({ guards: [writer, make('allow')], onDecision: (d) => void decisions.push(d) }).wrap(model);
    expect(await open([[0.5, 0.5]], { principal: 'p' })).toHaveLength(1);
    expect(decisions.map((d) => d.code)).toContain('detector_store_unavailable');
  });
});
