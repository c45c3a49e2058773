/**
 * The short fuzz run of the model-file parsers (10,000 inputs each; `pnpm fuzz:models` runs
 * 1,000,000, figures in docs/supply-chain.md). An escaped exception is a failure; a hang would
 * exceed the test's timeout.
 */
import { readFileSync } from 'node:fs';
import { modelPath } from '@bulwark/models';
import { describe, expect, it } from 'vitest';
import { type FuzzTarget, fuzzTarget, parse } from '../helpers/model-fuzz.js';

const shipped = (['fraud', 'digits', 'leaky', 'fraud-hardened'] as const).map((m) => readFileSync(modelPath(m)));

describe('fuzzing the model-file parsers', () => {
  it.each(['onnx', 'safetensors', 'pickle', 'zip'] as FuzzTarget[])('%s: 10,000 mutated and random inputs, no escaped exception', (target) => {
    const run = fuzzTarget(target, 10_000, 20261127, shipped);
    expect(run.inputs).toBe(10_000);
    expect(run.failures).toEqual([]);
  });

  it('the harness catches what escapes (a parser that throws is reported)', () => {
    // parse() on a value that is not bytes makes the walker throw a TypeError: the harness must
    // report it, or the runs above prove nothing.
    expect(parse('onnx', null as unknown as Uint8Array)).toBeInstanceOf(Error);
  });
});
