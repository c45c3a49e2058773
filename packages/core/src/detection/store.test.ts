import { describe, expect, it } from 'vitest';
import { createBulwark } from '../bulwark.js';
import { isBulwarkError } from '../errors.js';
import { extractionDetection } from '../guards/extraction-detection/index.js';
import { nearDuplicates } from '../guards/near-duplicates/index.js';
import { riskResponse } from '../guards/risk-response/index.js';
import { riskKey } from '../signals.js';
import type { DetectorStore } from '../stores/detector.js';
import { MemoryStore } from '../stores/memory.js';
import { unavailableDetectorStore } from '../testing/stores.js';
import type { AnyGuard, Decision, Prediction } from '../types.js';

const model = (rows: number[][]): Prediction[] => rows.map(() => ({ label: 0, scores: [0.9, 0.1] }));

// Both ways a store fails: asynchronously (a store that is down rejects, as a RedisStore does while
// Redis is unreachable) and synchronously (a memory store too full to hold anything throws from
// updateSync, on the guards' synchronous path).
describe.each([
  ['is down', () => unavailableDetectorStore('store down did not answer')],
  ['is full', () => new MemoryStore({ maxDetectorBytes: 1 })],
] as const)('detectors whose store %s', (_how, makeStore) => {
  const guards: [string, (onStoreError: 'deny' | 'allow', stores: Record<string, DetectorStore>) => AnyGuard][] = [
    ['near-duplicates', (onStoreError, stores) => nearDuplicates({ range: [0, 1], onStoreError }, { model: { name: 'm', features: 2 }, stores })],
    ['extraction-detection', (onStoreError, stores) => extractionDetection({ onStoreError }, { stores })],
    ['risk-response', (onStoreError, stores) => riskResponse({ onStoreError }, { stores })],
  ];
  // risk-response reads the signal detectors write: a pipeline needs a writer.
  const writer: AnyGuard = { name: 'writer', signals: { writes: [riskKey] }, beforeInference: () => undefined };
  it.each(guards)('%s fails closed by default (store_unavailable, 503) and, with onStoreError: allow, answers and records it', async (_name, make) => {
    const stores = { memory: makeStore() };
    const closed = createBulwark({ guards: [writer, make('deny', stores)] }).wrap(model);
    const err = await closed([[0.5, 0.5]], { principal: 'p' }).catch((e: unknown) => e);
    expect(isBulwarkError(err) && { code: err.code, status: err.status }).toEqual({ code: 'store_unavailable', status: 503 });
    const decisions: Decision[] = [];
    const open = createBulwark({ guards: [writer, make('allow', stores)], onDecision: (d) => void decisions.push(d) }).wrap(model);
    expect(await open([[0.5, 0.5]], { principal: 'p' })).toHaveLength(1);
    expect(decisions.map((d) => d.code)).toContain('detector_store_unavailable');
  });
});
