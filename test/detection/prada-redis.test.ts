/**
 * extraction-detection (PRADA) on a real Redis: replicas that take turns on one caller compute
 * what one process on the memory store computes (the same W after every query), whether their
 * kept lists are still the store's (stamps match: nothing read but stamps) or not (another
 * replica wrote: the lists are read again).
 */
import { createBulwark, extractionDetection, MemoryStore, type Prediction } from '@bulwark/core';
import { fraudData } from '@bulwark/models';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isolatedStore, ready } from '../helpers/redis.js';

/** Two classes by amount, so a call's rows go to one or both classes' lists. */
const model = (rows: number[][]): Prediction[] => rows.map((r) => ({ label: (r[0] as number) > 40 ? 1 : 0, scores: [0.5, 0.5] }));

let made: ReturnType<typeof isolatedStore>;
beforeAll(async () => {
  made = isolatedStore();
  await ready(made.client);
});
afterAll(() => made?.client.disconnect());

it('two replicas on one Redis compute the W sequence of one process on the memory store (kept lists checked by stamp)', async () => {
  const rows = fraudData().test.x.slice(0, 300) as number[][];
  const run = async (instances: { store: 'memory' | 'redis'; n: number; turn: (i: number) => number }): Promise<number[]> => {
    const ws: number[] = [];
    const stores = { memory: new MemoryStore(), redis: made.store };
    const predicts = Array.from({ length: instances.n }, () =>
      createBulwark({
        principalSecret: 'replicas-share-this-principal-secret',
        guards: [extractionDetection({ threshold: 1, minSamples: 20, store: instances.store }, { stores })],
        onDecision: (d) => ws.push(d.attributes?.['bulwark.extraction.w'] as number),
      }).wrap(model),
    );
    // Batches of 1 to 3 rows, so a call touches one or both classes.
    for (let i = 0, call = 0; i < rows.length; call++) {
      const batch = rows.slice(i, i + 1 + (call % 3));
      i += batch.length;
      await (predicts[instances.turn(call)] as (typeof predicts)[number])(batch, { principal: `caller-${instances.store}-${instances.n}` });
    }
    return ws;
  };
  const one = await run({ store: 'memory', n: 1, turn: () => 0 });
  expect(one.length).toBeGreaterThan(100);
  // Runs of five calls on one replica, then the other: kept lists used within a run, read again after a switch.
  const redis = await run({ store: 'redis', n: 2, turn: (c) => Math.floor(c / 5) % 2 });
  expect(redis).toEqual(one);
});
